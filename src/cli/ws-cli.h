/* ws-cli.h — the headless faces: --client, --server and --agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int  ws_cli_main     (int             argc,
                      char          **argv);
void ws_cli_log_line (const char     *domain,
                      GLogLevelFlags  level,
                      const char     *message,
                      gpointer        user_data);

G_END_DECLS

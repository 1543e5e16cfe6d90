/* ws-cli.h — the headless faces: --client, --server and --agent
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-server.h"

G_BEGIN_DECLS

typedef struct _WsCliOptions WsCliOptions;

int  ws_cli_main     (int             argc,
                      char          **argv);
void ws_cli_log_line (const char     *domain,
                      GLogLevelFlags  level,
                      const char     *message,
                      gpointer        user_data);
void ws_cli_server_configure (WsServer           *server,
                              const WsCliOptions *options);

G_END_DECLS

/* ws-cli.h — the headless faces: --client and --server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int ws_cli_main (int argc, char **argv);

G_END_DECLS

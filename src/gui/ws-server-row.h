/* ws-server-row.h — the switch that runs a server inside the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WS_TYPE_SERVER_ROW (ws_server_row_get_type ())
G_DECLARE_FINAL_TYPE (WsServerRow, ws_server_row, WS, SERVER_ROW, AdwActionRow)

GtkWidget *ws_server_row_new        (GSettings   *settings);
void       ws_server_row_set_active (WsServerRow *self,
                                     gboolean     active);
guint16    ws_server_row_get_port   (WsServerRow *self);
void       ws_server_row_stop       (WsServerRow *self);

G_END_DECLS

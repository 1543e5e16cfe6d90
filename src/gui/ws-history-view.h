/* ws-history-view.h — past results, newest first
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ws-history.h"

G_BEGIN_DECLS

#define WS_TYPE_HISTORY_VIEW (ws_history_view_get_type ())
G_DECLARE_FINAL_TYPE (WsHistoryView, ws_history_view, WS, HISTORY_VIEW, GtkWidget)

GtkWidget *ws_history_view_new           (void);
void       ws_history_view_set_history   (WsHistoryView *self,
                                          WsHistory     *history,
                                          const char    *why_not);
void       ws_history_view_set_units     (WsHistoryView *self,
                                          gboolean       bytes);
void       ws_history_view_reload        (WsHistoryView *self);
guint      ws_history_view_get_n_entries (WsHistoryView *self);
gboolean   ws_history_view_activate_row  (WsHistoryView *self,
                                          guint          index);

G_END_DECLS

/* ws-window-private.h — what the GUI tests reach into
 *
 * The tests drive the window as a person would (set the form, activate
 * win.start) and read what a person would read; these are the handles.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-graph.h"
#include "ws-history-view.h"
#include "ws-result.h"
#include "ws-window.h"

G_BEGIN_DECLS

/* In the order the window shows them */
enum {
  WS_WINDOW_FIGURE_DOWNLOAD,
  WS_WINDOW_FIGURE_UPLOAD,
  WS_WINDOW_FIGURE_TRANSACTIONS,
  WS_WINDOW_FIGURE_IDLE,
  WS_WINDOW_FIGURE_LOADED,
  WS_WINDOW_FIGURE_RPM,
};

WsGraph       *ws_window_get_graph         (WsWindow   *self);
WsHistoryView *ws_window_get_history_view  (WsWindow   *self);
WsResult      *ws_window_get_result        (WsWindow   *self);
gboolean       ws_window_is_running        (WsWindow   *self);
const char    *ws_window_get_figure        (WsWindow   *self,
                                            guint       index);
const char    *ws_window_get_status        (WsWindow   *self);
const char    *ws_window_get_detail        (WsWindow   *self);
void           ws_window_set_form          (WsWindow   *self,
                                            const char *target,
                                            WsTestMode  mode,
                                            guint       duration_s);
guint          ws_window_get_form_duration (WsWindow   *self);
void           ws_window_set_iperf3        (WsWindow   *self,
                                            gboolean    iperf3);
gboolean       ws_window_get_iperf3        (WsWindow   *self);
void           ws_window_set_security      (WsWindow   *self,
                                            gboolean    tls,
                                            const char *fingerprint,
                                            const char *key);
void           ws_window_set_server_active (WsWindow   *self,
                                            gboolean    active);
guint16        ws_window_get_server_port   (WsWindow   *self);
const char    *ws_window_get_server_text   (WsWindow   *self);
const char    *ws_window_get_tls_text      (WsWindow   *self);
gboolean       ws_window_save_graph        (WsWindow   *self,
                                            GFile      *file,
                                            GError    **error);

G_END_DECLS

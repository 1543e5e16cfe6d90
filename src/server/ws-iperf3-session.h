/* ws-iperf3-session.h — one iperf3 client's test, on the server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-iperf3.h"

G_BEGIN_DECLS

typedef struct _WsIperf3Session WsIperf3Session;

WsIperf3Session *ws_iperf3_session_new        (GSocket         *control,
                                               const char      *peer,
                                               const guint8    *cookie,
                                               guint            idle_timeout_s,
                                               GCancellable    *cancellable);
WsIperf3Session *ws_iperf3_session_ref        (WsIperf3Session *session);
void             ws_iperf3_session_unref      (WsIperf3Session *session);
gboolean         ws_iperf3_session_negotiate  (WsIperf3Session *session,
                                               GError         **error);
gboolean         ws_iperf3_session_run        (WsIperf3Session *session,
                                               GError         **error);
gboolean         ws_iperf3_session_attach     (WsIperf3Session *session,
                                               GSocket         *socket,
                                               gboolean         udp,
                                               guint64          seq,
                                               GError         **error);
gboolean         ws_iperf3_session_wants_udp  (WsIperf3Session *session,
                                               GInetAddress    *peer);
void             ws_iperf3_session_abort      (WsIperf3Session *session);
const guint8    *ws_iperf3_session_get_cookie (WsIperf3Session *session);
void             ws_iperf3_session_get_totals (WsIperf3Session *session,
                                               guint64         *bytes_sent,
                                               guint64         *bytes_received);

void             ws_iperf3_refuse             (GSocket         *control,
                                               int              state,
                                               int              ie_errno);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsIperf3Session, ws_iperf3_session_unref)

G_END_DECLS

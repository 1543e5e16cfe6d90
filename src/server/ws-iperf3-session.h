/* ws-iperf3-session.h — one iperf3 client's test, on the server side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-iperf3.h"
#include "ws-server-session.h"

G_BEGIN_DECLS

#define WS_TYPE_IPERF3_SESSION (ws_iperf3_session_get_type ())
G_DECLARE_FINAL_TYPE (WsIperf3Session, ws_iperf3_session, WS, IPERF3_SESSION, GObject)

WsIperf3Session *ws_iperf3_session_new (GSocket         *control,
                                        const char      *peer,
                                        const guint8    *cookie,
                                        guint            idle_timeout_s,
                                        GCancellable    *cancellable);

void             ws_iperf3_refuse      (GSocket         *control,
                                        int              state,
                                        int              ie_errno);

G_END_DECLS

/* ws-iperf3-backend.h — tests against an iperf3 server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client-backend.h"

G_BEGIN_DECLS

#define WS_TYPE_IPERF3_BACKEND (ws_iperf3_backend_get_type ())
G_DECLARE_FINAL_TYPE (WsIperf3Backend, ws_iperf3_backend, WS, IPERF3_BACKEND, GObject)

WsClientBackend *ws_iperf3_backend_new (const WsTestConfig   *config,
                                        GCancellable         *stop,
                                        const WsClientEvents *events,
                                        gboolean              detected);

G_END_DECLS

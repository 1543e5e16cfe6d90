/* ws-connect-probe.h — loaded latency from TCP connect times
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-histogram.h"
#include "ws-result.h"

G_BEGIN_DECLS

typedef struct _WsConnectProbe WsConnectProbe;

WsConnectProbe *ws_connect_probe_start         (GSocketAddress *remote,
                                                gint64          interval_ns);
void            ws_connect_probe_take_interval (WsConnectProbe *self,
                                                WsLatency      *latency);
void            ws_connect_probe_stop          (WsConnectProbe *self,
                                                WsHistogram    *total);
void            ws_connect_probe_free          (WsConnectProbe *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsConnectProbe, ws_connect_probe_free)

G_END_DECLS

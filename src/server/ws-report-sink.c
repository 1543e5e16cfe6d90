/* ws-report-sink.c — where a server hands its report connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-report-sink.h"

G_DEFINE_INTERFACE (WsReportSink, ws_report_sink, G_TYPE_OBJECT)

static void
ws_report_sink_default_init (WsReportSinkInterface *iface)
{
}

gboolean
ws_report_sink_serve (WsReportSink        *self,
                      const WsReportPeer  *peer,
                      GError             **error)
{
  g_return_val_if_fail (WS_IS_REPORT_SINK (self), FALSE);
  g_return_val_if_fail (peer != NULL && peer->channel != NULL, FALSE);
  return WS_REPORT_SINK_GET_IFACE (self)->serve (self, peer, error);
}

/* ws-report-sink.h — where a server hands its report connections
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-channel.h"

G_BEGIN_DECLS

#define WS_TYPE_REPORT_SINK (ws_report_sink_get_type ())
G_DECLARE_INTERFACE (WsReportSink, ws_report_sink, WS, REPORT_SINK, GObject)

/* A report connection after COLLECT (docs/PROTOCOL.md section 10.1): TLS,
 * authenticated, its COLLECT decoded (version 1, known flags). */
typedef struct {
  WsChannel *channel;
  const char *key_name;       /* the AUTH name: who the agent is */
  const char *peer;           /* "[address]:port", for logs */
  guint16 flags;              /* WsCollect flags: WS_COLLECT_FLAG_RELAY */
  GCancellable *cancellable;  /* the connection's: cancelled when the server stops */
  guint idle_timeout_s;
} WsReportPeer;

/* What serves report connections: the collector (monitor/) or a relay.
 * The server (server/) only knows this interface, so it links neither
 * the stores nor the monitor layer. */
struct _WsReportSinkInterface {
  GTypeInterface g_iface;

  /* On the connection's thread, from COLLECT to the close: answers
   * COLLECT_ACCEPT or an ERROR, then report frames until either side
   * ends. FALSE with @error when the connection ended on an error. */
  gboolean (*serve) (WsReportSink        *self,
                     const WsReportPeer  *peer,
                     GError             **error);
};

gboolean ws_report_sink_serve (WsReportSink        *self,
                               const WsReportPeer  *peer,
                               GError             **error);

G_END_DECLS

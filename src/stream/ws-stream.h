/* ws-stream.h — one data stream of a test, on either side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-histogram.h"
#include "ws-protocol.h"
#include "ws-udp-stats.h"

G_BEGIN_DECLS

typedef struct _WsStream WsStream;

/* What the stream's thread does. The side that owns the stream picks it
 * from the test mode and the stream's role. */
typedef enum {
  WS_STREAM_TCP_SEND,
  WS_STREAM_TCP_RECEIVE,
  WS_STREAM_TCP_RR_CLIENT,
  WS_STREAM_TCP_RR_SERVER,
  WS_STREAM_UDP_SEND,
  WS_STREAM_UDP_RECEIVE,
  WS_STREAM_UDP_RR_CLIENT,
  WS_STREAM_UDP_RR_SERVER,
} WsStreamKind;

typedef struct {
  guint32 length;         /* bytes per write / datagram */
  guint64 bitrate;        /* UDP senders: bit/s, 0 = as fast as possible */
  guint64 bytes;          /* senders: stop after this much payload; 0 = when told */
  guint32 rr_request;     /* RR: request and response sizes */
  guint32 rr_response;
  guint64 rr_timeout_ns;  /* UDP RR: a request unanswered this long is lost; 0 = adaptive */
  guint64 pace_ns;        /* RR clients: at least this between requests; 0 = back to back */
  guint64 police_bitrate; /* UDP receivers: drop, uncounted, what exceeds this; 0 = all */
  guint8 cookie[WS_COOKIE_SIZE]; /* UDP servers answer repeated STREAM_HELLOs */
  gboolean no_zerocopy;   /* TCP senders: copy from memory, not sendfile() */
  gboolean no_gso;        /* UDP_STREAM: one datagram per send and per receive */
} WsStreamParams;

typedef struct {
  guint64 bytes;        /* sent by a sender, received by a receiver */
  guint64 packets;      /* datagrams sent or received; RR: transactions */
  guint64 lost;         /* UDP RR: requests that went unanswered */
  guint64 late;         /* UDP RR: replies that came after their timeout */
  guint64 policed;      /* UDP receivers: datagrams dropped above police_bitrate */
  guint32 retransmits;  /* TCP_INFO total retransmits (TCP senders) */
  guint32 snd_cwnd;     /* bytes (TCP senders) */
  guint32 rtt_us;       /* smoothed RTT (TCP senders) */
} WsStreamCounters;

WsStream    *ws_stream_new            (GSocket              *socket,
                                       guint16               id,
                                       WsStreamRole          role,
                                       WsStreamKind          kind,
                                       const WsStreamParams *params);
void         ws_stream_free           (WsStream             *stream);
gboolean     ws_stream_start          (WsStream             *stream,
                                       GError              **error);
void         ws_stream_stop_sending   (WsStream             *stream);
void         ws_stream_abort          (WsStream             *stream);
gboolean     ws_stream_wait           (WsStream             *stream,
                                       gint64                deadline_ns);
void         ws_stream_join           (WsStream             *stream);
void         ws_stream_read           (WsStream             *stream,
                                       WsStreamCounters     *counters);
gdouble      ws_stream_take_latency   (WsStream             *stream,
                                       WsHistogram          *into);
gboolean     ws_stream_read_udp       (WsStream             *stream,
                                       WsUdpCounts          *counts);
guint16      ws_stream_get_id         (WsStream             *stream);
WsStreamRole ws_stream_get_role       (WsStream             *stream);
WsStreamKind ws_stream_get_kind       (WsStream             *stream);
gboolean     ws_stream_is_sending     (WsStream             *stream);

void         ws_stream_disable_offloads (gboolean           zerocopy,
                                         gboolean           gso);
WsStreamKind ws_stream_kind_for       (WsTestMode            mode,
                                       WsStreamRole          role,
                                       gboolean              client_side);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsStream, ws_stream_free)

G_END_DECLS

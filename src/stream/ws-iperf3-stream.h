/* ws-iperf3-stream.h — one iperf3 data stream, either side
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <stdatomic.h>

#include "ws-iperf3.h"

G_BEGIN_DECLS

/* The control connection's JSON messages (parameters, results): a 4-byte
 * big-endian length, then the text; at most WS_IPERF3_JSON_MAX bytes. */
char     *ws_iperf3_read_json  (GSocket       *control,
                                gint64         deadline_ns,
                                GCancellable  *cancellable,
                                gsize         *len,
                                GError       **error);
gboolean  ws_iperf3_write_json (GSocket       *control,
                                const char    *json,
                                gint64         deadline_ns,
                                GCancellable  *cancellable,
                                GError       **error);

/* Counters are relaxed atomics with one writer (the stream's thread);
 * everything else is read only after ws_iperf3_stream_join(). */
typedef struct {
  GSocket *socket;
  int fd;
  guint64 seq;               /* the server's accept order */
  guint id;
  gboolean sender;
  gboolean udp;
  const WsIperf3Params *params;   /* the test's, outlives the stream thread */
  atomic_bool *stop;              /* the test's stop flag */
  _Atomic guint64 *total_sent;    /* over the test's senders, for -n */
  GThread *thread;
  guint8 *buf;
  gsize buf_size;
  _Atomic guint64 bytes;
  _Atomic guint64 packets;   /* UDP: sent, or the highest number received */
  _Atomic guint64 errors;    /* UDP receivers */
  WsIperf3UdpRx rx;          /* UDP receivers; read after join */
  guint64 base_bytes, base_packets, base_errors;  /* at the end of --omit */
} WsIperf3Stream;

WsIperf3Stream *ws_iperf3_stream_new   (GSocket              *socket,
                                        gboolean              udp,
                                        guint64               seq);
void            ws_iperf3_stream_setup (WsIperf3Stream       *s,
                                        guint                 id,
                                        gboolean              sender,
                                        const WsIperf3Params *params,
                                        atomic_bool          *stop,
                                        _Atomic guint64      *total_sent);
gboolean        ws_iperf3_stream_start (WsIperf3Stream       *s,
                                        GError              **error);
void            ws_iperf3_stream_join  (WsIperf3Stream       *s);
void            ws_iperf3_stream_free  (WsIperf3Stream       *s);
guint32         ws_iperf3_stream_tcp_info (WsIperf3Stream    *s,
                                           guint32           *rtt_us);

G_END_DECLS

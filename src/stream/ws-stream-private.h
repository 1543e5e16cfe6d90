/* ws-stream-private.h — what the per-kind loops share with ws-stream.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdatomic.h>

#include "ws-stream.h"

/* How often a blocked send or recv comes back to look at the stop flags. */
#define WS_STREAM_POLL_MS 200

struct _WsStream {
  GSocket *socket;
  int fd;
  guint16 id;
  WsStreamRole role;
  WsStreamKind kind;
  WsStreamParams params;
  guint8 *buf;
  gsize buf_size;

  GThread *thread;
  _Atomic guint64 bytes;
  _Atomic guint64 packets;
  _Atomic guint64 lost;
  _Atomic guint64 late;
  _Atomic guint64 policed;
  gdouble police_bits;   /* the token bucket (stream thread only) */
  gint64 police_last_ns;
  atomic_bool stop_sending;
  atomic_bool aborted;

  GMutex lock;
  GCond cond;
  gboolean finished;
  WsHistogram *latency; /* RR clients: this interval's RTTs, under lock */
  gdouble rtt_jitter_ns; /* RR clients: RFC 3550 smoothing of RTT changes, under lock */
  guint64 last_rtt_ns;
  WsUdpStats *udp;      /* UDP receivers, under lock */
};

static inline gboolean
ws_stream_should_stop (WsStream *stream)
{
  return atomic_load_explicit (&stream->stop_sending, memory_order_relaxed)
         || atomic_load_explicit (&stream->aborted, memory_order_relaxed);
}

static inline gboolean
ws_stream_aborted (WsStream *stream)
{
  return atomic_load_explicit (&stream->aborted, memory_order_relaxed);
}

static inline void
ws_stream_count (WsStream *stream,
                 guint64   bytes,
                 guint64   packets)
{
  atomic_fetch_add_explicit (&stream->bytes, bytes, memory_order_relaxed);
  atomic_fetch_add_explicit (&stream->packets, packets, memory_order_relaxed);
}

gboolean ws_errno_is_transient (int err);

void ws_tcp_send_loop       (WsStream *stream);
void ws_tcp_receive_loop    (WsStream *stream);
void ws_tcp_rr_client_loop  (WsStream *stream);
void ws_tcp_rr_server_loop  (WsStream *stream);
void ws_udp_send_loop       (WsStream *stream);
void ws_udp_receive_loop    (WsStream *stream);
void ws_udp_rr_client_loop  (WsStream *stream);
void ws_udp_rr_server_loop  (WsStream *stream);
gboolean ws_udp_answer_hello (WsStream *stream, const guint8 *buf, gsize len);

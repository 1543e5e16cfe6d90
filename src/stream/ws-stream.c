/* ws-stream.c — one data stream of a test, on either side
 *
 * Each stream runs its own thread with blocking I/O on the raw fd: GSocket is
 * non-blocking underneath, and on this path a recv→EAGAIN→poll→recv cycle
 * per call costs throughput we can measure. Counters have a single writer
 * (the stream thread) and are read by the sampler, so relaxed atomics are
 * enough; the latency histogram and UDP accounting, which the sampler reads
 * as a whole, sit under the stream's mutex. The loops for each kind of
 * stream live in ws-tcp-stream.c, ws-rr.c and ws-udp-stream.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "ws-payload.h"
#include "ws-stream-private.h"
#include "ws-time.h"

/* Large socket buffers for UDP: a burst must not overflow them while the
 * receiving thread is descheduled. The kernel caps them at rmem_max. */
#define UDP_SOCKET_BUFFER (8 * 1024 * 1024)
/* The most one call moves: no UDP datagram is longer than 65 507 bytes
 * (IPv4), and a TCP write beyond 1 MiB measures nothing more. */
#define MAX_UDP_PAYLOAD 65507
#define MAX_TCP_WRITE (1024 * 1024)

static gboolean
is_udp (WsStreamKind kind)
{
  return kind >= WS_STREAM_UDP_SEND;
}

static void
prepare_fd (WsStream *stream)
{
  /* A UDP request/response client waits in recv for its reply: its
   * timeout is the granularity of noticing a lost request. */
  int timeout_ms = stream->kind == WS_STREAM_UDP_RR_CLIENT ? 5
                   : is_udp (stream->kind) ? 100 : WS_STREAM_POLL_MS;
  struct timeval tv = { 0, timeout_ms * 1000 };
  int flags = fcntl (stream->fd, F_GETFL);

  fcntl (stream->fd, F_SETFL, flags & ~O_NONBLOCK);
  setsockopt (stream->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt (stream->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (is_udp (stream->kind))
    {
      int size = UDP_SOCKET_BUFFER;

      /* The FORCE variants pass net.core.rmem_max (often 208 KiB, 150
       * datagrams) where we may; otherwise the kernel caps the plain ones. */
      if (setsockopt (stream->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt (stream->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      if (setsockopt (stream->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        setsockopt (stream->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
  else
    {
      int one = 1;

      /* Request/response wants every small write on the wire at once. */
      if (stream->kind == WS_STREAM_TCP_RR_CLIENT || stream->kind == WS_STREAM_TCP_RR_SERVER)
        setsockopt (stream->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

static gsize
buffer_size (WsStreamKind          kind,
             const WsStreamParams *p)
{
  gsize size = MAX (p->length, MAX (p->rr_request, p->rr_response));

  /* UDP loops batch up to 64 datagrams (see ws-udp-stream.c) of the
   * agreed length: a slot of 64 KiB whatever the length made every UDP
   * stream cost 4 MiB, a gigabyte for one test of 257 streams. A datagram
   * longer than agreed is cut to its slot and counted as cut. */
  if (kind == WS_STREAM_UDP_SEND || kind == WS_STREAM_UDP_RECEIVE)
    return 64 * MAX (size, WS_UDP_HEADER_SIZE);
  return MAX (size, WS_UDP_HEADER_SIZE) + (is_udp (kind) ? 65536 : 0);
}

/* What a server's --no-zerocopy and --no-gso turn off for every stream
 * it runs; a client sets them per test in its WsStreamParams. */
static atomic_bool no_zerocopy, no_gso;

void
ws_stream_disable_offloads (gboolean zerocopy,
                            gboolean gso)
{
  atomic_store (&no_zerocopy, zerocopy);
  atomic_store (&no_gso, gso);
}

WsStream *
ws_stream_new (GSocket              *socket,
               guint16               id,
               WsStreamRole          role,
               WsStreamKind          kind,
               const WsStreamParams *params)
{
  WsStream *stream = g_new0 (WsStream, 1);

  stream->socket = g_object_ref (socket);
  stream->fd = g_socket_get_fd (socket);
  stream->id = id;
  stream->role = role;
  stream->kind = kind;
  stream->params = *params;
  stream->params.no_zerocopy |= atomic_load (&no_zerocopy);
  stream->params.no_gso |= atomic_load (&no_gso);
  /* The peer chooses the length, up to 16 MiB, and the buffer follows it
   * (64 times over for UDP): without a cap, one request for many streams
   * would claim gigabytes of the server's memory. */
  stream->params.length = MIN (params->length, is_udp (kind) ? MAX_UDP_PAYLOAD : MAX_TCP_WRITE);
  stream->buf_size = buffer_size (kind, &stream->params);
  stream->buf = g_malloc (stream->buf_size);
  ws_payload_fill (stream->buf, stream->buf_size);
  g_mutex_init (&stream->lock);
  g_cond_init (&stream->cond);
  if (kind == WS_STREAM_TCP_RR_CLIENT || kind == WS_STREAM_UDP_RR_CLIENT)
    stream->latency = ws_histogram_new ();
  if (kind == WS_STREAM_UDP_RECEIVE)
    stream->udp = ws_udp_stats_new ();
  prepare_fd (stream);
  return stream;
}

void
ws_stream_free (WsStream *stream)
{
  if (stream == NULL)
    return;
  if (stream->thread != NULL)
    {
      ws_stream_abort (stream);
      ws_stream_join (stream);
    }
  g_socket_close (stream->socket, NULL);
  g_object_unref (stream->socket);
  g_clear_pointer (&stream->latency, ws_histogram_free);
  g_clear_pointer (&stream->udp, ws_udp_stats_free);
  g_free (stream->buf);
  g_mutex_clear (&stream->lock);
  g_cond_clear (&stream->cond);
  g_free (stream);
}

gboolean
ws_errno_is_transient (int err)
{
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static gpointer
stream_thread (gpointer data)
{
  static void (* const loops[]) (WsStream *) = {
    [WS_STREAM_TCP_SEND] = ws_tcp_send_loop,
    [WS_STREAM_TCP_RECEIVE] = ws_tcp_receive_loop,
    [WS_STREAM_TCP_RR_CLIENT] = ws_tcp_rr_client_loop,
    [WS_STREAM_TCP_RR_SERVER] = ws_tcp_rr_server_loop,
    [WS_STREAM_UDP_SEND] = ws_udp_send_loop,
    [WS_STREAM_UDP_RECEIVE] = ws_udp_receive_loop,
    [WS_STREAM_UDP_RR_CLIENT] = ws_udp_rr_client_loop,
    [WS_STREAM_UDP_RR_SERVER] = ws_udp_rr_server_loop,
  };
  WsStream *stream = data;

  loops[stream->kind] (stream);

  g_mutex_lock (&stream->lock);
  stream->finished = TRUE;
  g_cond_broadcast (&stream->cond);
  g_mutex_unlock (&stream->lock);
  return NULL;
}

gboolean
ws_stream_start (WsStream  *stream,
                 GError   **error)
{
  g_autofree char *name = g_strdup_printf ("ws-stream-%u", stream->id);

  g_return_val_if_fail (stream->thread == NULL, FALSE);
  stream->thread = g_thread_try_new (name, stream_thread, stream, error);
  return stream->thread != NULL;
}

/**
 * ws_stream_stop_sending:
 *
 * Ends the test for this stream the orderly way: senders stop writing and
 * half-close, request/response clients stop asking, UDP receivers drain
 * until the link is quiet. TCP receivers end at the peer's end-of-file.
 */
void
ws_stream_stop_sending (WsStream *stream)
{
  atomic_store (&stream->stop_sending, TRUE);
}

/* Ends the stream now, whatever it was doing; bytes in flight are lost. */
void
ws_stream_abort (WsStream *stream)
{
  atomic_store (&stream->aborted, TRUE);
  shutdown (stream->fd, SHUT_RDWR);
}

/* Returns: whether the stream thread finished before @deadline_ns. */
gboolean
ws_stream_wait (WsStream *stream,
                gint64    deadline_ns)
{
  gboolean finished;

  g_mutex_lock (&stream->lock);
  while (!stream->finished && stream->thread != NULL)
    {
      gint64 left_us = (deadline_ns - ws_now_ns ()) / 1000;

      if (left_us <= 0
          || !g_cond_wait_until (&stream->cond, &stream->lock,
                                 g_get_monotonic_time () + left_us))
        break;
    }
  finished = stream->finished || stream->thread == NULL;
  g_mutex_unlock (&stream->lock);
  return finished;
}

void
ws_stream_join (WsStream *stream)
{
  if (stream->thread != NULL)
    g_thread_join (g_steal_pointer (&stream->thread));
}

static gboolean
reads_tcp_info (WsStream *stream)
{
  return stream->kind == WS_STREAM_TCP_SEND || stream->kind == WS_STREAM_TCP_RR_CLIENT;
}

void
ws_stream_read (WsStream         *stream,
                WsStreamCounters *counters)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  memset (counters, 0, sizeof *counters);
  counters->bytes = atomic_load_explicit (&stream->bytes, memory_order_relaxed);
  counters->packets = atomic_load_explicit (&stream->packets, memory_order_relaxed);
  counters->lost = atomic_load_explicit (&stream->lost, memory_order_relaxed);
  counters->late = atomic_load_explicit (&stream->late, memory_order_relaxed);
  counters->policed = atomic_load_explicit (&stream->policed, memory_order_relaxed);
  if (!reads_tcp_info (stream))
    return;
  memset (&info, 0, sizeof info);
  if (getsockopt (stream->fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0)
    {
      counters->retransmits = info.tcpi_total_retrans;
      counters->snd_cwnd = info.tcpi_snd_cwnd * info.tcpi_snd_mss;
      counters->rtt_us = info.tcpi_rtt;
    }
}

/* Moves the RTTs recorded since the last call into @into.
 * Returns: the RTT jitter so far, in ns. */
gdouble
ws_stream_take_latency (WsStream    *stream,
                        WsHistogram *into)
{
  gdouble jitter;

  if (stream->latency == NULL)
    return 0;
  g_mutex_lock (&stream->lock);
  ws_histogram_merge (into, stream->latency);
  ws_histogram_reset (stream->latency);
  jitter = stream->rtt_jitter_ns;
  g_mutex_unlock (&stream->lock);
  return jitter;
}

/* Returns: FALSE for streams that are not UDP receivers. */
gboolean
ws_stream_read_udp (WsStream    *stream,
                    WsUdpCounts *counts)
{
  if (stream->udp == NULL)
    return FALSE;
  g_mutex_lock (&stream->lock);
  ws_udp_stats_get (stream->udp, counts);
  g_mutex_unlock (&stream->lock);
  return TRUE;
}

guint16
ws_stream_get_id (WsStream *stream)
{
  return stream->id;
}

WsStreamRole
ws_stream_get_role (WsStream *stream)
{
  return stream->role;
}

WsStreamKind
ws_stream_get_kind (WsStream *stream)
{
  return stream->kind;
}

/* Whether this side's thread writes the stream's traffic. */
gboolean
ws_stream_is_sending (WsStream *stream)
{
  return stream->kind == WS_STREAM_TCP_SEND || stream->kind == WS_STREAM_UDP_SEND;
}

/**
 * ws_stream_kind_for:
 *
 * What a stream of @role does in a @mode test, seen from the client or the
 * server. Probes are UDP request/response whatever the mode.
 */
WsStreamKind
ws_stream_kind_for (WsTestMode   mode,
                    WsStreamRole role,
                    gboolean     client_side)
{
  gboolean udp = ws_test_mode_is_udp (mode);

  switch (role)
    {
    case WS_ROLE_PROBE:
      return client_side ? WS_STREAM_UDP_RR_CLIENT : WS_STREAM_UDP_RR_SERVER;
    case WS_ROLE_RR:
      if (udp)
        return client_side ? WS_STREAM_UDP_RR_CLIENT : WS_STREAM_UDP_RR_SERVER;
      return client_side ? WS_STREAM_TCP_RR_CLIENT : WS_STREAM_TCP_RR_SERVER;
    case WS_ROLE_CLIENT_SENDS:
      if (udp)
        return client_side ? WS_STREAM_UDP_SEND : WS_STREAM_UDP_RECEIVE;
      return client_side ? WS_STREAM_TCP_SEND : WS_STREAM_TCP_RECEIVE;
    case WS_ROLE_SERVER_SENDS:
    default:
      if (udp)
        return client_side ? WS_STREAM_UDP_RECEIVE : WS_STREAM_UDP_SEND;
      return client_side ? WS_STREAM_TCP_RECEIVE : WS_STREAM_TCP_SEND;
    }
}

/* ws-iperf3-stream.c — one iperf3 data stream, either side
 *
 * A thread per stream with blocking I/O on the raw fd and a 200 ms
 * timeout, as WsStream does; the loops are our own because iperf3's UDP
 * header and accounting differ from ours.
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
#include <time.h>

#include "ws-io.h"
#include "ws-iperf3-stream.h"
#include "ws-time.h"

WsIperf3Stream *
ws_iperf3_stream_new (GSocket  *socket,
                      gboolean  udp,
                      guint64   seq)
{
  WsIperf3Stream *s = g_new0 (WsIperf3Stream, 1);

  s->socket = g_object_ref (socket);
  s->fd = g_socket_get_fd (socket);
  s->seq = seq;
  s->udp = udp;
  return s;
}

void
ws_iperf3_stream_free (WsIperf3Stream *s)
{
  if (s == NULL)
    return;
  if (s->thread != NULL && s->stop != NULL)
    {
      atomic_store (s->stop, TRUE);
      ws_iperf3_stream_join (s);
    }
  g_socket_close (s->socket, NULL);
  g_object_unref (s->socket);
  g_free (s->buf);
  g_free (s);
}

static void
prepare_fd (WsIperf3Stream *s)
{
  struct timeval tv = { 0, 200 * 1000 };
  int flags = fcntl (s->fd, F_GETFL);

  fcntl (s->fd, F_SETFL, flags & ~O_NONBLOCK);
  setsockopt (s->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setsockopt (s->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (s->params->window > 0)
    {
      int size = s->params->window;

      setsockopt (s->fd, SOL_SOCKET, s->sender ? SO_SNDBUF : SO_RCVBUF, &size, sizeof size);
    }
  else if (s->udp)
    {
      /* A burst must not overflow the buffer while this thread sleeps. */
      int size = 4 * 1024 * 1024;

      if (setsockopt (s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt (s->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      if (setsockopt (s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0)
        setsockopt (s->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
  if (!s->udp && s->params->nodelay)
    {
      int one = 1;
      setsockopt (s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

void
ws_iperf3_stream_setup (WsIperf3Stream       *s,
                        guint                 id,
                        gboolean              sender,
                        const WsIperf3Params *params,
                        atomic_bool          *stop,
                        _Atomic guint64      *total_sent)
{
  s->id = id;
  s->sender = sender;
  s->params = params;
  s->stop = stop;
  s->total_sent = total_sent;
  s->buf_size = MAX (params->len, s->udp ? 65536 : 128 * 1024);
  s->buf = g_malloc (s->buf_size);
  /* Not zeroes, so that no link compression flatters us. */
  for (gsize j = 0; j < s->buf_size; j++)
    s->buf[j] = (guint8) (j * 131 + 7);
  prepare_fd (s);
}

static gboolean
should_stop (WsIperf3Stream *s)
{
  return atomic_load_explicit (s->stop, memory_order_relaxed);
}

/* Waits until @bytes sent so far are due at @bitrate; FALSE to stop. */
static gboolean
pace (WsIperf3Stream *s,
      gint64   start_ns,
      guint64  bytes,
      guint64  bitrate)
{
  gint64 due;

  if (bitrate == 0)
    return TRUE;
  due = start_ns + (gint64) ((gdouble) bytes * 8 * WS_NSEC_PER_SEC / bitrate);
  for (;;)
    {
      gint64 now = ws_now_ns ();
      struct timespec ts;

      if (now >= due)
        return TRUE;
      if (should_stop (s))
        return FALSE;
      /* Short sleeps: the stop flag is looked at every 50 ms at most. */
      ts.tv_sec = 0;
      ts.tv_nsec = MIN (due - now, 50 * 1000 * 1000);
      nanosleep (&ts, NULL);
    }
}

static gboolean
byte_limit_reached (WsIperf3Stream *s)
{
  guint64 limit = s->params->bytes;

  return limit > 0 && atomic_load_explicit (s->total_sent, memory_order_relaxed) >= limit;
}

/* Whole blocks only: iperf3 reads TCP in blocks of "len" bytes with a
 * blocking read that waits for the whole block, so a block cut short at
 * the end would leave it waiting for bytes that never come, deaf to its
 * control connection. A partial block is finished even after the stop,
 * for at most FINISH_BLOCK_NS. */
#define FINISH_BLOCK_NS (2 * WS_NSEC_PER_SEC)

static void
tcp_send (WsIperf3Stream *s)
{
  guint32 len = s->params->len;
  guint64 bitrate = s->params->bandwidth;
  gint64 start = ws_now_ns ();
  gint64 give_up = G_MAXINT64;
  guint64 sent = 0;
  gsize off = 0;

  for (;;)
    {
      ssize_t n;

      if (off == 0 && (should_stop (s) || byte_limit_reached (s) || !pace (s, start, sent, bitrate)))
        break;
      if (off > 0 && should_stop (s))
        {
          if (give_up == G_MAXINT64)
            give_up = ws_now_ns () + FINISH_BLOCK_NS;
          else if (ws_now_ns () > give_up)
            break;
        }
      n = send (s->fd, s->buf + off, len - off, MSG_NOSIGNAL);
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            continue;
          break;
        }
      off = (off + n) % len;
      sent += n;
      atomic_fetch_add_explicit (&s->bytes, n, memory_order_relaxed);
      atomic_fetch_add_explicit (s->total_sent, n, memory_order_relaxed);
    }
  g_debug ("iperf3 stream %u: sent %" G_GUINT64_FORMAT " bytes, %" G_GSIZE_FORMAT " into a block",
           s->id, sent, off);
}

static void
tcp_receive (WsIperf3Stream *s)
{
  while (!should_stop (s))
    {
      ssize_t n = recv (s->fd, s->buf, s->buf_size, 0);

      if (n == 0)
        break;
      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR)
            continue;
          break;
        }
      atomic_fetch_add_explicit (&s->bytes, n, memory_order_relaxed);
    }
}

static void
udp_send (WsIperf3Stream *s)
{
  gboolean c64 = s->params->udp_counters_64bit;
  guint32 len = s->params->len;
  guint64 bitrate = s->params->bandwidth;
  gint64 start = ws_now_ns ();
  guint64 sent = 0, pcount = 0;

  while (!should_stop (s) && !byte_limit_reached (s) && pace (s, start, sent, bitrate))
    {
      ssize_t n;

      ws_iperf3_udp_header_write (s->buf, c64, g_get_real_time (), pcount + 1);
      n = send (s->fd, s->buf, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          /* ENOBUFS and ECONNREFUSED (an ICMP from a client not yet
           * reading) are passing conditions for a datagram sender. */
          if (errno == EAGAIN || errno == EINTR || errno == ENOBUFS || errno == ECONNREFUSED)
            {
              if (errno == ENOBUFS)
                g_usleep (100);
              continue;
            }
          break;
        }
      pcount++;
      sent += n;
      atomic_fetch_add_explicit (&s->bytes, n, memory_order_relaxed);
      atomic_store_explicit (&s->packets, pcount, memory_order_relaxed);
      atomic_fetch_add_explicit (s->total_sent, n, memory_order_relaxed);
    }
}

static void
udp_receive (WsIperf3Stream *s)
{
  gboolean c64 = s->params->udp_counters_64bit;

  while (!should_stop (s))
    {
      ssize_t n = recv (s->fd, s->buf, s->buf_size, 0);
      guint64 sent_us, pcount;

      if (n < 0)
        {
          if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
            continue;
          break;
        }
      if (!ws_iperf3_udp_header_read (s->buf, n, c64, &sent_us, &pcount))
        continue;
      ws_iperf3_udp_rx_add (&s->rx, pcount, (g_get_real_time () - (gint64) sent_us) / 1e6);
      atomic_fetch_add_explicit (&s->bytes, n, memory_order_relaxed);
      atomic_store_explicit (&s->packets, s->rx.packet_count, memory_order_relaxed);
      atomic_store_explicit (&s->errors, s->rx.errors, memory_order_relaxed);
    }
}

static gpointer
stream_thread (gpointer data)
{
  WsIperf3Stream *s = data;

  if (s->udp)
    s->sender ? udp_send (s) : udp_receive (s);
  else
    s->sender ? tcp_send (s) : tcp_receive (s);
  return NULL;
}

gboolean
ws_iperf3_stream_start (WsIperf3Stream  *s,
                        GError         **error)
{
  g_autofree char *name = g_strdup_printf ("ws-iperf3-%u", s->id);

  s->thread = g_thread_try_new (name, stream_thread, s, error);
  return s->thread != NULL;
}

void
ws_iperf3_stream_join (WsIperf3Stream *s)
{
  if (s->thread != NULL)
    g_thread_join (g_steal_pointer (&s->thread));
}

/* Returns: the total retransmits; @rtt_us the smoothed RTT (TCP only). */
guint32
ws_iperf3_stream_tcp_info (WsIperf3Stream *s,
                           guint32        *rtt_us)
{
  struct tcp_info info;
  socklen_t len = sizeof info;

  *rtt_us = 0;
  if (s->udp || getsockopt (s->fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
    return 0;
  *rtt_us = info.tcpi_rtt;
  return info.tcpi_total_retrans;
}

char *
ws_iperf3_read_json (GSocket       *control,
                     gint64         deadline_ns,
                     GCancellable  *cancellable,
                     gsize         *len,
                     GError       **error)
{
  g_autofree char *json = NULL;
  guint32 be;

  if (!ws_io_read_exact (control, (guint8 *) &be, 4, deadline_ns, cancellable, error))
    return NULL;
  *len = GUINT32_FROM_BE (be);
  if (*len > WS_IPERF3_JSON_MAX)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "JSON of %" G_GSIZE_FORMAT " bytes (at most %u)", *len, WS_IPERF3_JSON_MAX);
      return NULL;
    }
  json = g_malloc (*len + 1);
  if (!ws_io_read_exact (control, (guint8 *) json, *len, deadline_ns, cancellable, error))
    return NULL;
  json[*len] = '\0';
  return g_steal_pointer (&json);
}

gboolean
ws_iperf3_write_json (GSocket       *control,
                      const char    *json,
                      gint64         deadline_ns,
                      GCancellable  *cancellable,
                      GError       **error)
{
  gsize len = strlen (json);
  guint32 be = GUINT32_TO_BE ((guint32) len);

  return ws_io_write_all (control, (guint8 *) &be, 4, deadline_ns, cancellable, error)
         && ws_io_write_all (control, (const guint8 *) json, len, deadline_ns, cancellable, error);
}

/* ws-udp-stream.c — UDP_STREAM: paced datagrams, counted at the receiver
 *
 * The sender paces to the requested bit rate packet by packet: it sends
 * what is due (at most a batch) and sleeps until the next packet is due, so
 * a 100 Mbit/s stream is a steady trickle, not a burst every 100 ms. Both
 * sides batch with sendmmsg/recvmmsg. The receiver keeps the accounting
 * (loss, reordering, duplicates, jitter) in ws-udp-stats.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ws-io.h"
#include "ws-stream-private.h"
#include "ws-time.h"
#include "ws-udp-offload.h"

#define BATCH 64
/* A GRO receiver's buffers: each holds up to 44 datagrams of 1448 bytes,
 * so 8 take 350 a receive; a test of 64 stream threads holds 32 MiB. */
#define GRO_SLOTS 8
#define GRO_SLOT_SIZE 65536
/* Packets due within this much of now go out now: a sleep overshoots by the
 * timer slack (~50 µs), so waking for every packet would mean spinning on
 * the clock at high rates. 200 µs of lookahead is still a smooth stream. */
#define LOOKAHEAD_NS (200 * 1000)

/* Answers a repeated STREAM_HELLO (our first STREAM_ACK was lost) from the
 * stream's own socket. Returns: whether @buf was a control message. */
gboolean
ws_udp_answer_hello (WsStream     *stream,
                     const guint8 *buf,
                     gsize         len)
{
  guint8 out[WS_MESSAGE_MAX_SIZE];
  WsMessage msg;
  gsize n;

  if (len == 0 || buf[0] != WS_PROTOCOL_V2)
    return FALSE;
  if (ws_message_decode (buf, len, &msg, NULL, NULL) && msg.type == WS_MSG_STREAM_HELLO
      && memcmp (msg.u.stream_hello.cookie, stream->params.cookie, WS_COOKIE_SIZE) == 0)
    {
      msg.type = WS_MSG_STREAM_ACK;
      n = ws_message_encode (&msg, out, sizeof out);
      send (stream->fd, out, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  return TRUE;
}

static void
sleep_until (gint64 when_ns)
{
  struct timespec ts = { when_ns / WS_NSEC_PER_SEC, when_ns % WS_NSEC_PER_SEC };

  clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* How many datagrams are due now at the paced rate (looking a little
 * ahead); sleeps until the next one is due if none is. */
static guint
due_now (WsStream *stream,
         gint64    start_ns,
         guint64   sent)
{
  gdouble ns_per_packet = stream->params.length * 8.0 * 1e9 / stream->params.bitrate;
  gint64 now = ws_now_ns ();
  guint64 due = (guint64) ((now + LOOKAHEAD_NS - start_ns) / ns_per_packet) + 1;

  if (due > sent)
    return MIN (due - sent, BATCH);
  sleep_until (start_ns + (gint64) (sent * ns_per_packet) - LOOKAHEAD_NS);
  return 0;
}

/* One datagram per slot of @buf, @count slots, for sendmmsg/recvmmsg. */
static void
setup_batch_in (struct mmsghdr *msgs,
                struct iovec   *iov,
                guint8         *buf,
                gsize           slot,
                guint           count)
{
  memset (msgs, 0, BATCH * sizeof *msgs);
  for (guint i = 0; i < count; i++)
    {
      iov[i].iov_base = buf + i * slot;
      iov[i].iov_len = slot;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
}

/* One datagram per slot of the stream's buffer. */
static void
setup_batch (WsStream       *stream,
             struct mmsghdr *msgs,
             struct iovec   *iov,
             gsize           slot,
             gsize           len)
{
  setup_batch_in (msgs, iov, stream->buf, slot, BATCH);
  for (guint i = 0; i < BATCH; i++)
    iov[i].iov_len = len;
}

/* The size of the next datagram of a fixed-size stream with @left bytes
 * to go: whole lengths, then the rest, shortening the one before it where
 * the rest would be shorter than a header (the length is at least twice a
 * header then, see ws_session). 0: done. */
static gsize
next_datagram (gsize   len,
               guint64 left)
{
  if (left <= len)
    return left;
  if (left - len < WS_UDP_HEADER_SIZE)
    return left - WS_UDP_HEADER_SIZE;
  return len;
}

/* Sizes the datagrams of the next batch; returns how many there are. */
static guint
plan_batch (WsStream     *stream,
            struct iovec *iov,
            guint         n,
            gsize         len,
            guint64       bytes_sent)
{
  guint64 left;
  guint i;

  if (stream->params.bytes == 0)
    return n;
  left = stream->params.bytes - bytes_sent;
  for (i = 0; i < n && left > 0; i++)
    {
      iov[i].iov_len = next_datagram (len, left);
      left -= iov[i].iov_len;
    }
  return i;
}

static guint64
batch_bytes (const struct iovec *iov,
             int                 n)
{
  guint64 bytes = 0;

  for (int i = 0; i < n; i++)
    bytes += iov[i].iov_len;
  return bytes;
}

static gboolean
all_full (const struct iovec *iov,
          guint               n,
          gsize               len)
{
  for (guint i = 0; i < n; i++)
    if (iov[i].iov_len != len)
      return FALSE;
  return TRUE;
}

/* Sends @n datagrams of @len bytes, @gso to a send where the socket cuts
 * them (ws-udp-offload.c); the slots of the buffer are contiguous, so a
 * run of them is one buffer. A short datagram at the end of a fixed-size
 * stream goes the plain way. Returns how many datagrams went, or -1. */
static int
send_datagrams (WsStream       *stream,
                struct mmsghdr *msgs,
                struct iovec   *iov,
                guint           n,
                gsize           len,
                guint          *gso)
{
  struct mmsghdr g[BATCH];
  struct iovec giov[BATCH];
  guint counts[BATCH], m = 0;
  int r, sent = 0;

  if (*gso < 2 || n < 2 || !all_full (iov, n, len))
    return sendmmsg (stream->fd, msgs, n, 0);
  memset (g, 0, sizeof g);
  for (guint i = 0; i < n; i += *gso, m++)
    {
      counts[m] = MIN (*gso, n - i);
      giov[m].iov_base = iov[i].iov_base;
      giov[m].iov_len = counts[m] * len;
      g[m].msg_hdr.msg_iov = &giov[m];
      g[m].msg_hdr.msg_iovlen = 1;
    }
  r = sendmmsg (stream->fd, g, m, 0);
  if (r < 0 && errno == EIO)
    {
      ws_udp_gso_disable (stream->fd);
      *gso = 1;
      return sendmmsg (stream->fd, msgs, n, 0);
    }
  for (int i = 0; i < r; i++)
    sent += counts[i];
  return r < 0 ? r : sent;
}

void
ws_udp_send_loop (WsStream *stream)
{
  gsize len = MAX (stream->params.length, WS_UDP_HEADER_SIZE);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  WsUdpHeader h = { 0, stream->id, 0, 0, 0 };
  gint64 start = ws_now_ns ();
  guint64 sent = 0, bytes_sent = 0;
  guint gso = stream->params.no_gso ? 1 : ws_udp_gso_enable (stream->fd, len);

  setup_batch (stream, msgs, iov, len, len);

  while (!ws_stream_should_stop (stream))
    {
      guint n = stream->params.bitrate ? due_now (stream, start, sent) : BATCH;
      gint64 now = ws_now_ns ();
      int r;

      n = plan_batch (stream, iov, n, len, bytes_sent);
      for (guint i = 0; i < n; i++)
        {
          h.seq = sent + i;
          h.send_ns = now;
          ws_udp_header_encode (&h, iov[i].iov_base, WS_UDP_HEADER_SIZE);
        }
      if (n == 0)
        {
          if (stream->params.bytes != 0 && bytes_sent == stream->params.bytes)
            return;
          continue;
        }
      r = send_datagrams (stream, msgs, iov, n, len, &gso);
      if (r > 0)
        {
          guint64 bytes = batch_bytes (iov, r);

          sent += r;
          bytes_sent += bytes;
          ws_stream_count (stream, bytes, r);
        }
      else if (r < 0 && errno != ECONNREFUSED && errno != ENOBUFS
               && !ws_errno_is_transient (errno))
        return;
    }
}

/* A sender that ignores its granted rate must not get more counted than
 * it was granted. The bucket holds a second of the rate (at least a
 * batch), so a paced sender's bursts and our own scheduling delays pass;
 * it refills 1 % faster than the rate, for clocks that drift apart.
 * Returns: whether a datagram of @bytes fits. */
static gboolean
police (WsStream *stream,
        gsize     bytes,
        gint64    now)
{
  gdouble rate = stream->params.police_bitrate * 1.01;
  gdouble capacity = MAX (rate, BATCH * 8.0 * stream->params.length);

  if (stream->police_last_ns == 0)
    stream->police_bits = capacity;
  else
    stream->police_bits = MIN (capacity, stream->police_bits
                                         + rate * (now - stream->police_last_ns) / 1e9);
  stream->police_last_ns = now;
  if (stream->police_bits < bytes * 8.0)
    return FALSE;
  stream->police_bits -= bytes * 8.0;
  return TRUE;
}

/* Counts one datagram into @n (bytes, packets, policed). */
static void
account_datagram (WsStream     *stream,
                  const guint8 *data,
                  gsize         len,
                  gint64        arrival,
                  gint64        now,
                  guint64       n[3])
{
  WsUdpHeader h;

  if (!ws_udp_header_decode (data, len, &h))
    return;
  if (stream->params.police_bitrate != 0 && !police (stream, len, now))
    {
      n[2]++;
      return;
    }
  ws_udp_stats_record (stream->udp, h.seq, h.send_ns, arrival);
  n[0] += len;
  n[1]++;
}

/* Each buffer is one datagram or, with GRO, a run of datagrams of its
 * segment size (the last may be shorter): they are counted one by one,
 * as the peer sent them. */
static void
account_batch (WsStream       *stream,
               struct mmsghdr *msgs,
               int             count)
{
  gint64 now = ws_now_ns ();
  gint64 offset = ws_udp_realtime_offset ();
  guint64 n[3] = { 0, 0, 0 };

  g_mutex_lock (&stream->lock);
  for (int i = 0; i < count; i++)
    {
      const guint8 *data = msgs[i].msg_hdr.msg_iov->iov_base;
      gsize len = msgs[i].msg_len;
      gint64 stamp = now - offset;
      gsize segment = ws_udp_cmsg_segment (&msgs[i].msg_hdr, len, &stamp);

      for (gsize off = 0; off < len; off += segment)
        account_datagram (stream, data + off, MIN (segment, len - off), stamp + offset, now, n);
    }
  g_mutex_unlock (&stream->lock);
  ws_stream_count (stream, n[0], n[1]);
  atomic_fetch_add_explicit (&stream->policed, n[2], memory_order_relaxed);
}

/* The kernel rewrites each message's control length: give the room back
 * before every receive. */
static void
reset_control (struct mmsghdr *msgs,
               guint           count)
{
  for (guint i = 0; i < count; i++)
    msgs[i].msg_hdr.msg_controllen = WS_UDP_CMSG_SPACE;
}

void
ws_udp_receive_loop (WsStream *stream)
{
  gboolean gro = !stream->params.no_gso && ws_udp_gro_enable (stream->fd);
  g_autofree guint8 *gro_buf = gro ? g_malloc (GRO_SLOTS * GRO_SLOT_SIZE) : NULL;
  guint count = gro ? GRO_SLOTS : BATCH;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  union { char buf[WS_UDP_CMSG_SPACE]; struct cmsghdr align; } control[BATCH];

  ws_udp_stamps_enable (stream->fd);
  if (gro)
    setup_batch_in (msgs, iov, gro_buf, GRO_SLOT_SIZE, GRO_SLOTS);
  else
    setup_batch (stream, msgs, iov, stream->buf_size / BATCH, stream->buf_size / BATCH);
  for (guint i = 0; i < BATCH; i++)
    msgs[i].msg_hdr.msg_control = control[i].buf;

  while (!ws_stream_aborted (stream))
    {
      int n;

      reset_control (msgs, count);
      n = recvmmsg (stream->fd, msgs, count, MSG_WAITFORONE, NULL);
      if (n > 0)
        {
          /* A repeated STREAM_HELLO comes alone, ahead of any data. */
          if (n == 1 && ws_udp_answer_hello (stream, iov[0].iov_base, msgs[0].msg_len))
            continue;
          account_batch (stream, msgs, n);
        }
      else if (n < 0 && ws_errno_is_transient (errno))
        {
          /* Quiet for a receive timeout after the stop: drained. */
          if (atomic_load (&stream->stop_sending))
            return;
        }
      else if (n < 0 && errno != ECONNREFUSED)
        return;
    }
}

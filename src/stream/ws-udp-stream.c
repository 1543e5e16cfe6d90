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

#define BATCH 64
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

/* One datagram per slot of the stream's buffer, for sendmmsg/recvmmsg. */
static void
setup_batch (WsStream       *stream,
             struct mmsghdr *msgs,
             struct iovec   *iov,
             gsize           slot,
             gsize           len)
{
  memset (msgs, 0, BATCH * sizeof *msgs);
  for (guint i = 0; i < BATCH; i++)
    {
      iov[i].iov_base = stream->buf + i * slot;
      iov[i].iov_len = len;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
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

void
ws_udp_send_loop (WsStream *stream)
{
  gsize len = MAX (stream->params.length, WS_UDP_HEADER_SIZE);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  WsUdpHeader h = { 0, stream->id, 0, 0, 0 };
  gint64 start = ws_now_ns ();
  guint64 sent = 0, bytes_sent = 0;

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
      r = sendmmsg (stream->fd, msgs, n, 0);
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

static void
account_batch (WsStream       *stream,
               struct mmsghdr *msgs,
               int             n)
{
  gint64 now = ws_now_ns ();
  guint64 bytes = 0, packets = 0, policed = 0;

  g_mutex_lock (&stream->lock);
  for (int i = 0; i < n; i++)
    {
      const guint8 *data = msgs[i].msg_hdr.msg_iov->iov_base;
      WsUdpHeader h;

      if (!ws_udp_header_decode (data, msgs[i].msg_len, &h))
        continue;
      if (stream->params.police_bitrate != 0 && !police (stream, msgs[i].msg_len, now))
        {
          policed++;
          continue;
        }
      ws_udp_stats_record (stream->udp, h.seq, h.send_ns, now);
      bytes += msgs[i].msg_len;
      packets++;
    }
  g_mutex_unlock (&stream->lock);
  ws_stream_count (stream, bytes, packets);
  atomic_fetch_add_explicit (&stream->policed, policed, memory_order_relaxed);
}

void
ws_udp_receive_loop (WsStream *stream)
{
  gsize slot = stream->buf_size / BATCH;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];

  setup_batch (stream, msgs, iov, slot, slot);

  while (!ws_stream_aborted (stream))
    {
      int n = recvmmsg (stream->fd, msgs, BATCH, MSG_WAITFORONE, NULL);

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

/* ws-rr.c — request/response: one transaction in flight (netperf's RR)
 *
 * The client times every transaction with CLOCK_MONOTONIC into the stream's
 * histogram: the full round trip, never halved. Over UDP a request can be
 * lost, so each one has a timeout after which the loop goes on; a reply
 * that arrives later is recognised by its sequence number, never taken for
 * the current one, and still counts within a loss window (see Overdue).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ws-stream-private.h"
#include "ws-time.h"

/* UDP RR: before any reply has been seen, and the bounds of the adaptive
 * timeout (4 × the largest RTT seen). */
#define FIRST_TIMEOUT_NS (1 * WS_NSEC_PER_SEC)
#define MIN_TIMEOUT_NS (50 * WS_NSEC_PER_MSEC)
#define MAX_TIMEOUT_NS (3 * WS_NSEC_PER_SEC)

/* Sends or receives exactly @n bytes; FALSE on error, end-of-file or abort. */
static gboolean
io_exact (WsStream *stream,
          gboolean  sending,
          gsize     n)
{
  gsize done = 0;

  while (done < n)
    {
      ssize_t r = sending
                  ? send (stream->fd, stream->buf + done, n - done, MSG_NOSIGNAL)
                  : recv (stream->fd, stream->buf + done, n - done, 0);

      if (r > 0)
        done += r;
      else if (r == 0 || !ws_errno_is_transient (errno) || ws_stream_aborted (stream))
        return FALSE;
    }
  return TRUE;
}

static void
record_rtt (WsStream *stream,
            guint64   rtt_ns,
            gsize     bytes)
{
  g_mutex_lock (&stream->lock);
  ws_histogram_record (stream->latency, rtt_ns);
  /* Jitter of the round trip, smoothed as RFC 3550 smooths transit-time
   * changes: how much consecutive RTTs differ. */
  if (stream->last_rtt_ns != 0)
    {
      gdouble d = (gdouble) rtt_ns - (gdouble) stream->last_rtt_ns;
      stream->rtt_jitter_ns += (ABS (d) - stream->rtt_jitter_ns) / 16;
    }
  stream->last_rtt_ns = rtt_ns;
  g_mutex_unlock (&stream->lock);
  ws_stream_count (stream, bytes, 1);
}

static void
pace (WsStream *stream,
      gint64   *next_ns)
{
  struct timespec ts;

  if (stream->params.pace_ns == 0)
    return;
  if (*next_ns > ws_now_ns ())
    {
      ts.tv_sec = *next_ns / WS_NSEC_PER_SEC;
      ts.tv_nsec = *next_ns % WS_NSEC_PER_SEC;
      clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
  *next_ns = MAX (*next_ns + (gint64) stream->params.pace_ns, ws_now_ns ());
}

void
ws_tcp_rr_client_loop (WsStream *stream)
{
  gsize req = stream->params.rr_request, resp = stream->params.rr_response;
  gint64 next = ws_now_ns ();

  while (!ws_stream_should_stop (stream))
    {
      gint64 start;

      pace (stream, &next);
      start = ws_now_ns ();
      if (!io_exact (stream, TRUE, req) || !io_exact (stream, FALSE, resp))
        return;
      record_rtt (stream, ws_now_ns () - start, req + resp);
    }
  shutdown (stream->fd, SHUT_WR);
}

void
ws_tcp_rr_server_loop (WsStream *stream)
{
  gsize req = stream->params.rr_request, resp = stream->params.rr_response;

  /* Ends at the client's end-of-file after its last request. */
  while (io_exact (stream, FALSE, req) && io_exact (stream, TRUE, resp))
    ws_stream_count (stream, req + resp, 1);
}

/* Writes the header at the start of the buffer and sends @size bytes. */
static gboolean
send_datagram (WsStream          *stream,
               const WsUdpHeader *header,
               gsize              size)
{
  ws_udp_header_encode (header, stream->buf, stream->buf_size);
  for (;;)
    {
      ssize_t n = send (stream->fd, stream->buf, MAX (size, WS_UDP_HEADER_SIZE), MSG_NOSIGNAL);

      if (n >= 0)
        return TRUE;
      /* ECONNREFUSED: an ICMP error from an earlier datagram; UDP goes on. */
      if (errno != ECONNREFUSED && !ws_errno_is_transient (errno))
        return FALSE;
      if (ws_stream_aborted (stream))
        return FALSE;
    }
}

static guint64
rr_timeout (WsStream *stream,
            guint64   max_rtt)
{
  if (stream->params.rr_timeout_ns)
    return stream->params.rr_timeout_ns;
  if (max_rtt == 0)
    return FIRST_TIMEOUT_NS;
  return CLAMP (4 * max_rtt, (guint64) MIN_TIMEOUT_NS, (guint64) MAX_TIMEOUT_NS);
}

/* Requests whose reply had not come by the adaptive timeout. The loop moves
 * on, but such a request counts as lost only when no reply comes within
 * LOSS_WINDOW_NS: under load a round trip can take many times the worst one
 * seen before, and that long round trip is what a latency probe is there to
 * see, so it is recorded (late), not dropped as a loss. With an explicit
 * timeout (--rr-timeout) the timeout is the loss. */
#define LOSS_WINDOW_NS MAX_TIMEOUT_NS
#define MAX_OVERDUE 64

typedef struct {
  guint64 seq[MAX_OVERDUE];
  gint64 sent[MAX_OVERDUE];
  guint n;
} Overdue;

static void
overdue_drop_first (WsStream *stream,
                    Overdue  *o)
{
  atomic_fetch_add_explicit (&stream->lost, 1, memory_order_relaxed);
  o->n--;
  memmove (o->seq, o->seq + 1, o->n * sizeof o->seq[0]);
  memmove (o->sent, o->sent + 1, o->n * sizeof o->sent[0]);
}

static void
overdue_add (WsStream *stream,
             Overdue  *o,
             guint64   seq,
             gint64    sent)
{
  if (stream->params.rr_timeout_ns != 0)
    {
      atomic_fetch_add_explicit (&stream->lost, 1, memory_order_relaxed);
      return;
    }
  if (o->n == MAX_OVERDUE)
    overdue_drop_first (stream, o);
  o->seq[o->n] = seq;
  o->sent[o->n] = sent;
  o->n++;
}

static void
overdue_expire (WsStream *stream,
                Overdue  *o,
                gint64    now)
{
  while (o->n > 0 && now - o->sent[0] > LOSS_WINDOW_NS)
    overdue_drop_first (stream, o);
}

/* Returns: when @seq was sent, if it is overdue (and no longer), or 0. */
static gint64
overdue_answer (Overdue *o,
                guint64  seq)
{
  for (guint i = 0; i < o->n; i++)
    if (o->seq[i] == seq)
      {
        gint64 sent = o->sent[i];

        o->n--;
        memmove (o->seq + i, o->seq + i + 1, (o->n - i) * sizeof o->seq[0]);
        memmove (o->sent + i, o->sent + i + 1, (o->n - i) * sizeof o->sent[0]);
        return sent;
      }
  return 0;
}

/* Waits for the reply to @seq until @deadline. Returns its arrival time,
 * or 0 when it has not come (or the stream must end). Replies to overdue
 * requests that arrive meanwhile are recorded with their own send time
 * (ours, not the echoed one a peer could forge). A blocking recv with the
 * socket's short receive timeout costs one system call per reply, where
 * poll + recv cost two. */
static gint64
await_reply (WsStream *stream,
             Overdue  *overdue,
             guint64   seq,
             gint64    deadline,
             gsize     bytes,
             guint64  *max_rtt)
{
  for (;;)
    {
      ssize_t n = recv (stream->fd, stream->buf, stream->buf_size, 0);
      gint64 now = ws_now_ns ();
      WsUdpHeader h;

      if (n >= 0 && ws_udp_header_decode (stream->buf, n, &h) && (h.flags & WS_UDP_FLAG_RESPONSE))
        {
          gboolean adaptive = stream->params.rr_timeout_ns == 0;
          gint64 sent;

          if (h.seq < seq || (h.seq == seq && now > deadline))
            atomic_fetch_add_explicit (&stream->late, 1, memory_order_relaxed);
          if (h.seq == seq && (now <= deadline || adaptive))
            return now;
          if (h.seq < seq && (sent = overdue_answer (overdue, h.seq)) != 0)
            {
              /* The timeout learns from it, as from any round trip. */
              *max_rtt = MAX (*max_rtt, (guint64) (now - sent));
              record_rtt (stream, now - sent, bytes);
            }
        }
      overdue_expire (stream, overdue, now);
      if (now >= deadline || ws_stream_should_stop (stream))
        return 0;
    }
}

void
ws_udp_rr_client_loop (WsStream *stream)
{
  gsize req = stream->params.rr_request, resp = stream->params.rr_response;
  gsize bytes = MAX (req, WS_UDP_HEADER_SIZE) + resp;
  WsUdpHeader h = { WS_UDP_FLAG_REQUEST, stream->id, 0, 0, 0 };
  gint64 next = ws_now_ns ();
  guint64 max_rtt = 0;
  Overdue overdue = { .n = 0 };

  while (!ws_stream_should_stop (stream))
    {
      gint64 sent, arrived;

      pace (stream, &next);
      sent = ws_now_ns ();
      h.send_ns = sent;
      if (!send_datagram (stream, &h, req))
        break;
      arrived = await_reply (stream, &overdue, h.seq, sent + rr_timeout (stream, max_rtt),
                             bytes, &max_rtt);
      if (arrived != 0)
        {
          max_rtt = MAX (max_rtt, (guint64) (arrived - sent));
          record_rtt (stream, arrived - sent, bytes);
        }
      else if (!ws_stream_should_stop (stream))
        overdue_add (stream, &overdue, h.seq, sent);
      h.seq++;
    }
  /* Still unanswered at the end, each past its timeout: lost. */
  while (overdue.n > 0)
    overdue_drop_first (stream, &overdue);
}

void
ws_udp_rr_server_loop (WsStream *stream)
{
  gsize resp = stream->params.rr_response;

  while (!ws_stream_should_stop (stream))
    {
      ssize_t n = recv (stream->fd, stream->buf, stream->buf_size, 0);
      WsUdpHeader h;

      if (n < 0)
        {
          if (!ws_errno_is_transient (errno) && errno != ECONNREFUSED)
            return;
          continue;
        }
      if (ws_udp_answer_hello (stream, stream->buf, n))
        continue;
      if (!ws_udp_header_decode (stream->buf, n, &h) || !(h.flags & WS_UDP_FLAG_REQUEST))
        continue;
      h.flags = WS_UDP_FLAG_RESPONSE;
      if (!send_datagram (stream, &h, resp))
        return;
      ws_stream_count (stream, n + MAX (resp, WS_UDP_HEADER_SIZE), 1);
    }
}

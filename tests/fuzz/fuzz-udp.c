/* fuzz-udp.c — libFuzzer harness for what arrives on a UDP data socket
 *
 * The input is a sequence of datagrams, each written as
 *
 *   len (1 byte) | gap (1 byte, µs since the previous arrival) | len bytes
 *
 * and each is handled as a UDP receiver handles it (ws-udp-stream.c): a
 * datagram that starts like a v2 control message goes to
 * ws_udp_answer_hello(), which must answer a STREAM_HELLO carrying the
 * stream's cookie with the matching STREAM_ACK and nothing else; any other
 * datagram goes through ws_udp_header_decode() into the stream's
 * WsUdpStats. The whole input is also decoded as one datagram.
 *
 * Oracles: a decoded header encodes back to the same 24 bytes, and the
 * 4096-bit ring of ws-udp-stats.c counts exactly what a model that
 * remembers every sequence number in a hash table counts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "ws-protocol.h"
#include "ws-stream-private.h"
#include "ws-udp-stats.h"

/* The cookie of the stream under test; the seed corpus uses it too. */
static const guint8 stream_cookie[WS_COOKIE_SIZE] = {
  0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
  0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
};

/* ws_udp_answer_hello() sends its STREAM_ACK on fds[0]; the harness reads
 * it on fds[1]. A datagram socket pair keeps one answer per datagram. */
static int fds[2] = { -1, -1 };

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) < 0)
    {
      perror ("socketpair");
      abort ();
    }
  return 0;
}

/* The receiver's accounting done the obvious way: every sequence number in
 * a hash table instead of a ring, the window's rule applied by distance. */
typedef struct {
  GHashTable *seen;
  guint64 received;
  guint64 out_of_order;
  guint64 duplicates;
  guint64 next_expected;
  gdouble jitter_ns;
  guint64 last_transit;
  gboolean have_transit;
} Model;

static void
model_record (Model   *m,
              guint64  seq,
              guint64  send_ns,
              guint64  recv_ns)
{
  guint64 transit = recv_ns - send_ns;

  if (seq == G_MAXUINT64)
    return;
  if (seq < m->next_expected)
    {
      /* Older than the window: cannot be checked, counts as late. */
      gboolean checkable = m->next_expected - seq <= WS_UDP_WINDOW;

      if (checkable && g_hash_table_contains (m->seen, &seq))
        {
          m->duplicates++;
          return;
        }
      m->out_of_order++;
    }
  else
    m->next_expected = seq + 1;
  g_hash_table_add (m->seen, g_memdup2 (&seq, sizeof seq));
  m->received++;

  /* The same arithmetic as ws-udp-stats.c, so the same double. */
  if (m->have_transit)
    {
      gint64 d = (gint64) (transit - m->last_transit);
      gdouble abs_d = d < 0 ? -(gdouble) d : (gdouble) d;

      m->jitter_ns += (abs_d - m->jitter_ns) / 16.0;
    }
  m->last_transit = transit;
  m->have_transit = TRUE;
}

static void
check_counts (WsUdpStats  *stats,
              const Model *m)
{
  WsUdpCounts c;

  ws_udp_stats_get (stats, &c);
  FUZZ_CHECK (c.received == m->received);
  FUZZ_CHECK (c.out_of_order == m->out_of_order);
  FUZZ_CHECK (c.duplicates == m->duplicates);
  FUZZ_CHECK (c.next_expected == m->next_expected);
  FUZZ_CHECK (c.lost == (m->next_expected > m->received ? m->next_expected - m->received : 0));
  FUZZ_CHECK (c.jitter_ns == m->jitter_ns);
  FUZZ_CHECK (isfinite (c.jitter_ns) && c.jitter_ns >= 0);
}

/* A decoded header is the datagram's first 24 bytes, every one of them. */
static gboolean
decode_header (const guint8 *buf,
               gsize         len,
               WsUdpHeader  *h)
{
  guint8 out[WS_UDP_HEADER_SIZE];
  WsUdpHeader again;

  if (!ws_udp_header_decode (buf, len, h))
    {
      FUZZ_CHECK (len < WS_UDP_HEADER_SIZE || buf[0] != WS_UDP_MAGIC);
      return FALSE;
    }
  FUZZ_CHECK (len >= WS_UDP_HEADER_SIZE && buf[0] == WS_UDP_MAGIC);
  FUZZ_CHECK (ws_udp_header_encode (h, out, sizeof out - 1) == 0);
  FUZZ_CHECK (ws_udp_header_encode (h, out, sizeof out) == WS_UDP_HEADER_SIZE);
  FUZZ_CHECK (memcmp (out, buf, WS_UDP_HEADER_SIZE) == 0);
  /* Field by field: the decoder leaves the struct's padding alone. */
  FUZZ_CHECK (ws_udp_header_decode (out, sizeof out, &again));
  FUZZ_CHECK (again.flags == h->flags && again.stream_id == h->stream_id
              && again.reserved == h->reserved && again.seq == h->seq
              && again.send_ns == h->send_ns);
  return TRUE;
}

/* What the stream's socket sent in answer to one datagram, if anything. */
static gssize
take_answer (guint8 *buf,
             gsize   size)
{
  gssize n = recv (fds[1], buf, size, MSG_DONTWAIT);

  FUZZ_CHECK (n >= 0 || errno == EAGAIN || errno == EWOULDBLOCK);
  return n;
}

/* A repeated STREAM_HELLO with our cookie is answered with a STREAM_ACK
 * echoing it; anything else that looks like control traffic is swallowed
 * without an answer, and data is left to the data path. */
static gboolean
answer_hello (WsStream     *stream,
              const guint8 *buf,
              gsize         len)
{
  guint8 answer[WS_MESSAGE_MAX_SIZE + 1];
  gboolean control = ws_udp_answer_hello (stream, buf, len);
  gssize n = take_answer (answer, sizeof answer);
  WsMessage hello, ack;
  gboolean is_hello;

  FUZZ_CHECK (control == (len > 0 && buf[0] == WS_PROTOCOL_V2));
  is_hello = control && ws_message_decode (buf, len, &hello, NULL, NULL)
             && hello.type == WS_MSG_STREAM_HELLO
             && memcmp (hello.u.stream_hello.cookie, stream_cookie, WS_COOKIE_SIZE) == 0;
  if (!is_hello)
    {
      FUZZ_CHECK (n < 0);
      return control;
    }
  FUZZ_CHECK (n > 0);
  FUZZ_CHECK (ws_message_decode (answer, n, &ack, NULL, NULL));
  FUZZ_CHECK (ack.version == WS_PROTOCOL_V2 && ack.type == WS_MSG_STREAM_ACK);
  FUZZ_CHECK (memcmp (&ack.u.stream_hello, &hello.u.stream_hello, sizeof ack.u.stream_hello) == 0);
  return TRUE;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  Model model = { g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL) };
  WsStream stream = { .fd = fds[0] };
  guint64 recv_ns = 1000000000;
  guint64 records = 0, ignored = 0;
  WsUdpHeader h;
  gsize pos = 0;

  memcpy (stream.params.cookie, stream_cookie, WS_COOKIE_SIZE);
  decode_header (data, size, &h);

  while (size - pos >= 2)
    {
      gsize len = MIN (data[pos], size - pos - 2);
      const guint8 *datagram = data + pos + 2;

      recv_ns += data[pos + 1] * 1000;
      pos += 2 + len;
      if (answer_hello (&stream, datagram, len))
        continue;
      if (!decode_header (datagram, len, &h))
        continue;
      ws_udp_stats_record (stats, h.seq, h.send_ns, recv_ns);
      model_record (&model, h.seq, h.send_ns, recv_ns);
      check_counts (stats, &model);
      records++;
      ignored += h.seq == G_MAXUINT64;
    }
  /* Every datagram is received, a duplicate, or corrupt beyond counting. */
  FUZZ_CHECK (model.received + model.duplicates + ignored == records);
  g_hash_table_unref (model.seen);
  return 0;
}

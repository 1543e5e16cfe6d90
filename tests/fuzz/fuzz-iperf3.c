/* fuzz-iperf3.c — libFuzzer harness for what an iperf3 peer sends
 *
 * The pure codecs of ws-iperf3.c read bytes straight from an iperf3 client
 * or server: the 37-byte cookie that opens every connection, the client's
 * parameter JSON, the results JSON either side sends, the header of every
 * UDP datagram (and the receiver's accounting of its packet number), and
 * the four-byte UDP connect datagram. As in fuzz-control.c, every input
 * goes to every one of them: the cookie check gets its first 37 bytes, the
 * JSON parsers all of it as the session hands it over (length-prefixed,
 * with a NUL after it), the UDP reader the input as one datagram and as a
 * run of headers, the connect check the input and its first four bytes.
 *
 * Oracles: the cookie check and the connect check agree with a model
 * written from the protocol; a refusal of parameters or results is a
 * GError, and for parameters an i_errno that names the reason; accepted
 * parameters are within the bounds the session relies on, and rebuilt by
 * ws_iperf3_build_params() parse again to the same test; accepted results
 * rebuilt by ws_iperf3_results_build() parse again to the same streams,
 * counts and times (to the last digit), and both rebuild to the same text; a UDP header
 * written from what was read reads back the same; the receiver's highest
 * packet number never goes back, and its losses never exceed it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "ws-iperf3.h"

static gboolean
is_refusal (const GError *error)
{
  /* A JSON syntax error is json-glib's; every other refusal is ours. */
  return error != NULL
         && (error->domain == G_IO_ERROR || error->domain == JSON_PARSER_ERROR)
         && error->message != NULL && *error->message != '\0';
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autofree char *too_long = g_malloc (WS_IPERF3_JSON_MAX + 2);
  g_autoptr(GError) error = NULL;
  WsIperf3Params p;
  char cookie[WS_IPERF3_COOKIE_SIZE];
  int ie = -1;

  fuzz_init_logging ();

  /* Once, not per input: the session never hands over more than the
   * maximum, but the codecs must refuse it on their own too. */
  memset (too_long, ' ', WS_IPERF3_JSON_MAX + 1);
  too_long[0] = '{';
  too_long[WS_IPERF3_JSON_MAX] = '}';
  too_long[WS_IPERF3_JSON_MAX + 1] = '\0';
  FUZZ_CHECK (!ws_iperf3_parse_params (too_long, WS_IPERF3_JSON_MAX + 1, &p, &ie, &error));
  FUZZ_CHECK (is_refusal (error) && ie == WS_IPERF3_IE_RECVPARAMS && p.client_version == NULL);
  g_clear_error (&error);
  FUZZ_CHECK (ws_iperf3_results_parse (too_long, WS_IPERF3_JSON_MAX + 1, &error) == NULL);
  FUZZ_CHECK (is_refusal (error));

  /* Ours pass our own check. */
  ws_iperf3_make_cookie (cookie);
  FUZZ_CHECK (ws_iperf3_cookie_is_valid ((const guint8 *) cookie, sizeof cookie));
  return 0;
}

/* 36 characters of [a-z2-7], then a NUL: iperf3's make_cookie(). */
static void
check_cookie (const guint8 *data,
              size_t        size)
{
  gboolean valid = size >= WS_IPERF3_COOKIE_SIZE && data[WS_IPERF3_COOKIE_SIZE - 1] == '\0';

  for (gsize i = 0; i < MIN (size, WS_IPERF3_COOKIE_SIZE - 1); i++)
    {
      gboolean in_alphabet = (data[i] >= 'a' && data[i] <= 'z') || (data[i] >= '2' && data[i] <= '7');

      FUZZ_CHECK (ws_iperf3_is_cookie_char (data[i]) == in_alphabet);
      valid = valid && in_alphabet;
    }
  if (size >= WS_IPERF3_COOKIE_SIZE)
    FUZZ_CHECK (ws_iperf3_cookie_is_valid (data, WS_IPERF3_COOKIE_SIZE) == valid);
  /* Anything but exactly the cookie's size is not a cookie. */
  FUZZ_CHECK (ws_iperf3_cookie_is_valid (data, size) == (valid && size == WS_IPERF3_COOKIE_SIZE));
}

/* Every i_errno parse_params() may send back after SERVER_ERROR. */
static gboolean
is_params_errno (int ie)
{
  switch (ie)
    {
    case WS_IPERF3_IE_UNIMP:
    case WS_IPERF3_IE_PROTOCOL:
    case WS_IPERF3_IE_SETMSS:
    case WS_IPERF3_IE_SETTOS:
    case WS_IPERF3_IE_SETFLOW:
    case WS_IPERF3_IE_SETCONGESTION:
    case WS_IPERF3_IE_SETPACING:
    case WS_IPERF3_IE_AUTHTEST:
      return TRUE;
    default:
      return FALSE;
    }
}

/* What the session and the streams rely on, without checking again. */
static void
check_params_bounds (const WsIperf3Params *p)
{
  FUZZ_CHECK (p->parallel >= 1 && p->parallel <= WS_IPERF3_MAX_STREAMS);
  FUZZ_CHECK (ws_iperf3_n_streams (p) <= 2 * WS_IPERF3_MAX_STREAMS);
  FUZZ_CHECK (p->time_s <= WS_IPERF3_MAX_TIME);
  FUZZ_CHECK (p->omit_s <= 600);
  FUZZ_CHECK (p->time_s > 0 || p->bytes > 0);
  FUZZ_CHECK (p->bytes <= G_MAXINT64 && p->bandwidth <= G_MAXINT64);
  FUZZ_CHECK (p->window <= 256 * 1024 * 1024);
  FUZZ_CHECK (!(p->reverse && p->bidirectional));
  if (p->udp)
    FUZZ_CHECK (p->len >= ws_iperf3_udp_header_size (p->udp_counters_64bit)
                && p->len <= WS_IPERF3_MAX_UDP_LEN);
  else
    FUZZ_CHECK (p->len <= WS_IPERF3_MAX_TCP_LEN);
  if (p->client_version != NULL)
    FUZZ_CHECK (strlen (p->client_version) <= 32 && g_utf8_validate (p->client_version, -1, NULL));
}

/* The i_errno, the GError and the struct, whatever the answer. */
static gboolean
parse_params (const char     *json,
              gsize           len,
              WsIperf3Params *p)
{
  g_autoptr(GError) error = NULL;
  int ie = -1;

  if (!ws_iperf3_parse_params (json, len, p, &ie, &error))
    {
      FUZZ_CHECK (is_refusal (error));
      /* What we do not implement says so, in iperf3's own words;
       * anything else is a bad parameter message. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
        FUZZ_CHECK (is_params_errno (ie));
      else
        FUZZ_CHECK (ie == WS_IPERF3_IE_RECVPARAMS);
      FUZZ_CHECK (p->client_version == NULL);
      return FALSE;
    }
  FUZZ_CHECK (error == NULL && ie == 0);
  check_params_bounds (p);
  return TRUE;
}

static void
check_params (const char *json,
              gsize       len)
{
  WsIperf3Params p, back, again;
  g_autofree char *built = NULL;
  g_autofree char *rebuilt = NULL;

  if (!parse_params (json, len, &p))
    {
      ws_iperf3_params_clear (&p);
      return;
    }

  /* The builder writes the test as iperf3's client does; read back, it is
   * the same test. It leaves out what our client never asks for. */
  built = ws_iperf3_build_params (&p);
  FUZZ_CHECK (built != NULL && strlen (built) <= WS_IPERF3_JSON_MAX);
  FUZZ_CHECK (parse_params (built, strlen (built), &back));
  FUZZ_CHECK (back.udp == p.udp && back.reverse == p.reverse
              && back.bidirectional == p.bidirectional
              && back.udp_counters_64bit == p.udp_counters_64bit);
  FUZZ_CHECK (back.omit_s == p.omit_s && back.time_s == p.time_s && back.bytes == p.bytes
              && back.parallel == p.parallel && back.len == p.len
              && back.bandwidth == p.bandwidth);
  FUZZ_CHECK (g_strcmp0 (back.client_version, p.client_version ? p.client_version : "3.12") == 0);
  FUZZ_CHECK (ws_iperf3_n_streams (&back) == ws_iperf3_n_streams (&p));

  /* And then it is a fixed point. */
  rebuilt = ws_iperf3_build_params (&back);
  FUZZ_CHECK (strcmp (rebuilt, built) == 0);
  FUZZ_CHECK (parse_params (rebuilt, strlen (rebuilt), &again));

  ws_iperf3_params_clear (&again);
  ws_iperf3_params_clear (&back);
  ws_iperf3_params_clear (&p);
}

static WsIperf3Results *
parse_results (const char *json,
               gsize       len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsIperf3Results) quiet = ws_iperf3_results_parse (json, len, NULL);
  WsIperf3Results *r = ws_iperf3_results_parse (json, len, &error);

  /* The server passes no GError, the client does: the same answer. */
  FUZZ_CHECK ((quiet == NULL) == (r == NULL));
  if (r == NULL)
    {
      FUZZ_CHECK (is_refusal (error));
      return NULL;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (r->streams != NULL && r->streams->len <= 2 * WS_IPERF3_MAX_STREAMS);
  FUZZ_CHECK (quiet->streams->len == r->streams->len);
  FUZZ_CHECK (isfinite (r->cpu_total) && isfinite (r->cpu_user) && isfinite (r->cpu_system));
  for (guint i = 0; i < r->streams->len; i++)
    {
      const WsIperf3StreamResult *s = &g_array_index (r->streams, WsIperf3StreamResult, i);

      FUZZ_CHECK (s->id <= 65535);
      FUZZ_CHECK (s->bytes <= G_MAXINT64 && s->errors <= G_MAXINT64 && s->packets <= G_MAXINT64);
      FUZZ_CHECK (isfinite (s->jitter_s) && isfinite (s->start_time) && isfinite (s->end_time));
    }
  if (r->server_output_text != NULL)
    FUZZ_CHECK (g_utf8_validate (r->server_output_text, -1, NULL));
  return r;
}

/* The builder writes doubles with 17 digits, so they read back exactly,
 * except those it moves one step towards zero so that json-glib writes
 * them as JSON (1e-05 would be "1e-05.0"). */
static gboolean
same_double (gdouble back,
             gdouble d)
{
  return back == d || back == nextafter (d, 0);
}

static void
check_results (const char *json,
               gsize       len)
{
  g_autoptr(WsIperf3Results) r = parse_results (json, len);
  g_autoptr(WsIperf3Results) back = NULL;
  g_autofree char *built = NULL;
  g_autofree char *rebuilt = NULL;

  if (r == NULL)
    return;
  built = ws_iperf3_results_build (r);
  back = parse_results (built, strlen (built));
  FUZZ_CHECK (back != NULL);
  FUZZ_CHECK (back->streams->len == r->streams->len);
  FUZZ_CHECK (back->sender_has_retransmits == r->sender_has_retransmits);
  FUZZ_CHECK (same_double (back->cpu_total, r->cpu_total)
              && same_double (back->cpu_user, r->cpu_user)
              && same_double (back->cpu_system, r->cpu_system));
  FUZZ_CHECK (g_strcmp0 (back->server_output_text, r->server_output_text) == 0);
  for (guint i = 0; i < r->streams->len; i++)
    {
      const WsIperf3StreamResult *s = &g_array_index (r->streams, WsIperf3StreamResult, i);
      const WsIperf3StreamResult *b = &g_array_index (back->streams, WsIperf3StreamResult, i);

      FUZZ_CHECK (b->id == s->id && b->bytes == s->bytes && b->errors == s->errors
                  && b->packets == s->packets && b->retransmits == s->retransmits);
      FUZZ_CHECK (same_double (b->jitter_s, s->jitter_s)
                  && same_double (b->start_time, s->start_time)
                  && same_double (b->end_time, s->end_time));
    }
  rebuilt = ws_iperf3_results_build (back);
  FUZZ_CHECK (strcmp (rebuilt, built) == 0);
}

static guint64
read_be (const guint8 *p,
         gsize         n)
{
  guint64 v = 0;

  for (gsize i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

/* One datagram's header, both widths: seconds, microseconds, count. */
static void
check_udp_header (const guint8 *data,
                  size_t        size)
{
  for (int c64 = 0; c64 <= 1; c64++)
    {
      gsize hsize = ws_iperf3_udp_header_size (c64);
      guint8 out[16];
      guint64 time_us = 0, pcount = 0, t2, p2;
      guint64 sec, usec;

      FUZZ_CHECK (hsize == (c64 ? 16 : 12));
      if (!ws_iperf3_udp_header_read (data, size, c64, &time_us, &pcount))
        {
          FUZZ_CHECK (size < hsize);
          continue;
        }
      FUZZ_CHECK (size >= hsize);
      sec = read_be (data, 4);
      usec = read_be (data + 4, 4);
      FUZZ_CHECK (time_us == sec * G_USEC_PER_SEC + usec);
      FUZZ_CHECK (pcount == read_be (data + 8, hsize - 8));

      ws_iperf3_udp_header_write (out, c64, time_us, pcount);
      FUZZ_CHECK (ws_iperf3_udp_header_read (out, hsize, c64, &t2, &p2));
      FUZZ_CHECK (p2 == pcount);
      /* A sender's clock has fewer than a million microseconds: then the
       * same bytes. A peer may write more; the time still reads back the
       * same while its seconds fit the header's 32 bits. */
      if (usec < G_USEC_PER_SEC)
        FUZZ_CHECK (memcmp (out, data, hsize) == 0);
      if (time_us / G_USEC_PER_SEC <= G_MAXUINT32)
        FUZZ_CHECK (t2 == time_us);
    }
}

/* The input as a run of datagram headers into the receiver's accounting. */
static void
check_udp_rx (const guint8 *data,
              size_t        size)
{
  for (int c64 = 0; c64 <= 1; c64++)
    {
      gsize hsize = ws_iperf3_udp_header_size (c64);
      WsIperf3UdpRx rx = { 0 };
      guint64 highest = 0, late = 0;

      for (gsize pos = 0; pos + hsize <= size; pos += hsize)
        {
          guint64 time_us, pcount;

          FUZZ_CHECK (ws_iperf3_udp_header_read (data + pos, hsize, c64, &time_us, &pcount));
          /* Transit from a fixed arrival time, so that runs repeat. */
          ws_iperf3_udp_rx_add (&rx, pcount, (1.7e15 - (gdouble) time_us) / 1e6);
          if (pcount > highest)
            highest = pcount;
          else
            late++;
          FUZZ_CHECK (rx.packet_count == highest);
          FUZZ_CHECK (rx.out_of_order == late);
          /* Lost is the gaps less the late arrivals: never more than
           * the numbers below the highest. */
          FUZZ_CHECK (rx.errors < highest || rx.errors == 0);
          FUZZ_CHECK (isfinite (rx.jitter_s) && rx.jitter_s >= 0);
        }
    }
}

/* iperf3's value or the legacy one, in the client's byte order. */
static void
check_udp_connect (const guint8 *data,
                   size_t        size)
{
  gboolean swapped = FALSE;
  int kind = ws_iperf3_udp_connect_kind (data, size, &swapped);
  int want = 0, want_swapped = FALSE;
  guint8 reply[4];
  guint32 le, be, got;

  if (size == 4)
    {
      be = read_be (data, 4);
      le = GUINT32_SWAP_LE_BE (be);
      if (le == WS_IPERF3_UDP_CONNECT_MSG || le == WS_IPERF3_LEGACY_UDP_CONNECT_MSG)
        want = le == WS_IPERF3_UDP_CONNECT_MSG ? 1 : 2;
      else if (be == WS_IPERF3_UDP_CONNECT_MSG || be == WS_IPERF3_LEGACY_UDP_CONNECT_MSG)
        {
          want = be == WS_IPERF3_UDP_CONNECT_MSG ? 1 : 2;
          want_swapped = TRUE;
        }
    }
  FUZZ_CHECK (kind == want);
  if (kind == 0)
    return;
  FUZZ_CHECK (swapped == want_swapped);

  /* The answer, read in the order the question came in. */
  ws_iperf3_udp_connect_reply (kind, swapped, reply);
  got = read_be (reply, 4);
  if (!swapped)
    got = GUINT32_SWAP_LE_BE (got);
  FUZZ_CHECK (got == (kind == 1 ? WS_IPERF3_UDP_CONNECT_REPLY : WS_IPERF3_LEGACY_UDP_CONNECT_REPLY));
  /* "9876" is answered "6789", whichever the order. */
  if (kind == 1)
    for (int i = 0; i < 4; i++)
      FUZZ_CHECK (reply[i] == data[3 - i]);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* As the session's read_json() hands it over: a NUL after the bytes. */
  g_autofree char *json = g_malloc (size + 1);

  memcpy (json, data, size);
  json[size] = '\0';

  check_cookie (data, size);
  check_params (json, size);
  check_results (json, size);
  check_udp_header (data, size);
  check_udp_rx (data, size);
  check_udp_connect (data, size);
  if (size > 4)
    check_udp_connect (data, 4);
  return 0;
}

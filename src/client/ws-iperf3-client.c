/* ws-iperf3-client.c — a test against an iperf3 server
 *
 * Speaks the client half of iperf3's control protocol (see
 * ws-iperf3.h) and fills the same WsResult as a test against our own
 * server. iperf3 reports nothing per interval, so interval samples are
 * this end's counts (for upload, bytes sent); the summary's receiver side
 * comes from the server's results. iperf3 has no request/response mode, so
 * latency is measured by what there is: the TCP handshake time of each
 * data connection before any load (idle) and the kernel's smoothed RTT
 * (TCP_INFO) of each TCP data stream once per interval under load.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/ioctl.h>

#include "ws-connect-probe.h"
#include "ws-error.h"
#include "ws-histogram.h"
#include "ws-io.h"
#include "ws-iperf3-client.h"
#include "ws-iperf3-stream.h"
#include "ws-sampler.h"
#include "ws-time.h"

#define CONNECT_TIMEOUT_S 10
/* How long to wait for the server between steps; iperf3 servers answer at
 * once, but a busy one may take a moment to accept streams. */
#define STEP_TIMEOUT_NS (15 * WS_NSEC_PER_SEC)
/* iperf3 closes its listening socket after every test and opens a new
 * one, and until its old test is cleaned up it answers "busy". How long to
 * keep knocking when it has just answered us: on a loaded machine iperf3
 * can take seconds, and a longer wait means another client's test. */
#define RELISTEN_PATIENCE_NS (10 * WS_NSEC_PER_SEC)
#define RELISTEN_RETRY_MIN_US (20 * 1000)
#define RELISTEN_RETRY_MAX_US (500 * 1000)
/* Loaded latency where no stream of ours sends TCP: a few connects a
 * second cost iperf3 an accept and a one-byte answer each. */
#define CONNECT_PROBE_NS (100 * WS_NSEC_PER_MSEC)

typedef struct {
  const WsTestConfig *config;
  GCancellable *stop;
  WsSampleFunc on_sample;
  gpointer user_data;
  gboolean just_answered;    /* the server was there a moment ago */

  GSocketConnection *connection;
  GSocket *control;
  GSocketAddress *remote;
  char cookie[WS_IPERF3_COOKIE_SIZE];
  WsIperf3Params params;
  GPtrArray *streams;   /* WsIperf3Stream, in the order opened */
  atomic_bool stop_flag;
  _Atomic guint64 total_sent;

  WsHistogram *connect_rtt;  /* handshake times of the data connections */
  WsHistogram *tcp_rtt;      /* loaded: TCP_INFO smoothed RTT, per stream per
                              * interval, or the connect probe's times */
  WsConnectProbe *probe;     /* when no TCP stream of ours sends */
  WsResult *result;
  gint64 start_ns, stop_ns;
  gboolean interrupted;
} Client;

static void
client_clear (Client *c)
{
  if (c->streams != NULL)
    {
      atomic_store (&c->stop_flag, TRUE);
      g_ptr_array_unref (c->streams);
    }
  g_clear_pointer (&c->probe, ws_connect_probe_free);
  g_clear_object (&c->remote);
  g_clear_object (&c->connection);
  g_clear_pointer (&c->connect_rtt, ws_histogram_free);
  g_clear_pointer (&c->tcp_rtt, ws_histogram_free);
  g_clear_pointer (&c->result, ws_result_unref);
  ws_iperf3_params_clear (&c->params);
}

/* iperf3's own texts for the errors a server sends back most often. */
static const char *
iperf3_error_text (int ie)
{
  switch (ie)
    {
    case 5: return _("test duration too long");
    case 6: return _("number of parallel streams too large");
    case 7: return _("block size too large");
    case 13: return _("an option is not implemented by the server");
    case WS_IPERF3_IE_ACCESSDENIED: return _("the server is busy running a test");
    case WS_IPERF3_IE_SETMSS: return _("unable to set TCP MSS");
    case WS_IPERF3_IE_SETCONGESTION: return _("unable to set TCP congestion control");
    case WS_IPERF3_IE_AUTHTEST: return _("test authorization failed");
    default: return NULL;
    }
}

static gboolean
read_state (Client   *c,
            gint8    *state,
            GError  **error)
{
  guint8 byte;

  if (!ws_io_read_exact (c->control, &byte, 1, ws_now_ns () + STEP_TIMEOUT_NS, NULL, error))
    {
      g_prefix_error (error, _("The iperf3 server stopped answering: "));
      return FALSE;
    }
  *state = (gint8) byte;
  if (*state == WS_IPERF3_ACCESS_DENIED)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                           _("The iperf3 server is busy running a test; try again later"));
      return FALSE;
    }
  if (*state == WS_IPERF3_SERVER_ERROR)
    {
      guint32 be[2] = { 0, 0 };
      int ie;
      const char *text;

      ws_io_read_exact (c->control, (guint8 *) be, sizeof be, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
      ie = (int) GUINT32_FROM_BE (be[0]);
      text = iperf3_error_text (ie);
      /* Translators: %s is the reason, %d iperf3's number for it. */
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   _("The iperf3 server refused the test: %s (iperf3 error %d)"),
                   text ? text : _("see iperf3’s error list"), ie);
      return FALSE;
    }
  if (*state == WS_IPERF3_SERVER_TERMINATE)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                           _("The iperf3 server ended the test"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
expect_state (Client   *c,
              gint8     want,
              GError  **error)
{
  gint8 state;

  if (!read_state (c, &state, error))
    return FALSE;
  if (state != want)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   /* Translators: two numbers of iperf3's protocol states. */
                   _("The iperf3 server sent state %d where %d was due"), state, want);
      return FALSE;
    }
  return TRUE;
}

static gboolean
send_state (Client   *c,
            gint8     state,
            GError  **error)
{
  guint8 byte = (guint8) state;

  return ws_io_write_all (c->control, &byte, 1, ws_now_ns () + STEP_TIMEOUT_NS, NULL, error);
}

static gboolean
write_json (Client      *c,
            const char  *json,
            GError     **error)
{
  return ws_iperf3_write_json (c->control, json, ws_now_ns () + STEP_TIMEOUT_NS, NULL, error);
}

static char *
read_json (Client  *c,
           gsize   *len,
           GError **error)
{
  return ws_iperf3_read_json (c->control, ws_now_ns () + STEP_TIMEOUT_NS, NULL, len, error);
}

static gboolean
connect_control (Client  *c,
                 GError **error)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();

  g_socket_client_set_timeout (sc, CONNECT_TIMEOUT_S);
  c->connection = g_socket_client_connect_to_host (sc, c->config->target, c->config->port,
                                                   c->stop, error);
  if (c->connection == NULL)
    {
      /* Translators: a host, then a port; the reason follows. */
      g_prefix_error (error, _("Cannot reach the iperf3 server %s port %u: "),
                      c->config->target, c->config->port);
      return FALSE;
    }
  c->control = g_socket_connection_get_socket (c->connection);
  g_socket_set_blocking (c->control, FALSE);
  c->remote = g_socket_get_remote_address (c->control, error);
  if (c->remote == NULL)
    return FALSE;
  ws_iperf3_make_cookie (c->cookie);
  return ws_io_write_all (c->control, (guint8 *) c->cookie, WS_IPERF3_COOKIE_SIZE,
                          ws_now_ns () + STEP_TIMEOUT_NS, NULL, error);
}

/* A connection made while iperf3 is between tests meets no listener, the
 * old one's backlog as it closes, or a server still busy with the test
 * that has just ended. */
static gboolean
is_between_tests (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY);
}

static void
explain_gave_up (GError **error)
{
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_BUSY))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("The iperf3 server was still busy %d s after it answered us: "
                     "another client is testing against it; try again later"),
                   (int) (RELISTEN_PATIENCE_NS / WS_NSEC_PER_SEC));
    }
  else
    g_prefix_error (error, _("The iperf3 server did not listen again within %d s: "),
                    (int) (RELISTEN_PATIENCE_NS / WS_NSEC_PER_SEC));
}

/* Connects and waits for PARAM_EXCHANGE; a server that has just answered
 * (the end of the speed test's download, or our check whether it is
 * iperf3 at all) gets a while to listen again, asked less and less often. */
static gboolean
open_control (Client  *c,
              GError **error)
{
  gint64 give_up = ws_now_ns () + RELISTEN_PATIENCE_NS;
  gulong wait_us = RELISTEN_RETRY_MIN_US;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;

      if (connect_control (c, &local_error)
          && expect_state (c, WS_IPERF3_PARAM_EXCHANGE, &local_error))
        return TRUE;
      g_clear_object (&c->connection);
      g_clear_object (&c->remote);
      c->control = NULL;
      if (!c->just_answered || !is_between_tests (local_error)
          || g_cancellable_is_cancelled (c->stop))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (ws_now_ns () > give_up)
        {
          explain_gave_up (&local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_usleep (wait_us);
      wait_us = MIN (wait_us * 2, RELISTEN_RETRY_MAX_US);
    }
}

static GSocket *
open_stream (Client   *c,
             GError  **error)
{
  GSocketFamily family = g_socket_address_get_family (c->remote);
  gboolean udp = c->params.udp;
  g_autoptr(GSocket) s = g_socket_new (family, udp ? G_SOCKET_TYPE_DATAGRAM : G_SOCKET_TYPE_STREAM,
                                       udp ? G_SOCKET_PROTOCOL_UDP : G_SOCKET_PROTOCOL_TCP, error);
  gint64 t0;

  if (s == NULL)
    return NULL;
  g_socket_set_timeout (s, CONNECT_TIMEOUT_S);
  t0 = ws_now_ns ();
  if (!g_socket_connect (s, c->remote, c->stop, error))
    return NULL;
  if (!udp)
    {
      /* The handshake time is one round trip on the idle path. */
      ws_histogram_record (c->connect_rtt, ws_now_ns () - t0);
      if (!ws_io_write_all (s, (guint8 *) c->cookie, WS_IPERF3_COOKIE_SIZE,
                            ws_now_ns () + STEP_TIMEOUT_NS, NULL, error))
        return NULL;
    }
  else
    {
      guint8 msg[4], reply[4];
      guint32 v = GUINT32_TO_LE (WS_IPERF3_UDP_CONNECT_MSG);
      gboolean swapped;
      gssize n;

      memcpy (msg, &v, 4);
      g_socket_set_blocking (s, FALSE);
      if (g_socket_send (s, (char *) msg, 4, NULL, error) != 4
          || !ws_io_wait_readable (s, ws_now_ns () + STEP_TIMEOUT_NS, c->stop, error))
        {
          g_prefix_error (error, _("The iperf3 server did not answer a UDP stream: "));
          return NULL;
        }
      ws_histogram_record (c->connect_rtt, ws_now_ns () - t0);
      n = g_socket_receive (s, (char *) reply, sizeof reply, NULL, error);
      if (n < 0)
        return NULL;
      /* Any reply will do: iperf3 servers answer with either value. */
      if (n != 4 || (GUINT32_FROM_LE (*(guint32 *) reply) != WS_IPERF3_UDP_CONNECT_REPLY
                     && GUINT32_FROM_LE (*(guint32 *) reply) != WS_IPERF3_LEGACY_UDP_CONNECT_REPLY
                     && ws_iperf3_udp_connect_kind (reply, n, &swapped) == 0
                     && GUINT32_FROM_BE (*(guint32 *) reply) != WS_IPERF3_UDP_CONNECT_REPLY
                     && GUINT32_FROM_BE (*(guint32 *) reply) != WS_IPERF3_LEGACY_UDP_CONNECT_REPLY))
        g_info ("iperf3 server: unexpected UDP connect reply");
    }
  g_socket_set_timeout (s, 0);
  return g_steal_pointer (&s);
}

/* Sending streams first, as iperf3's own client does with --bidir. */
static gboolean
open_streams (Client  *c,
              GError **error)
{
  guint n = ws_iperf3_n_streams (&c->params);

  c->streams = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_iperf3_stream_free);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GSocket) s = open_stream (c, error);
      WsIperf3Stream *st;
      gboolean sender;

      if (s == NULL)
        return FALSE;
      sender = c->params.reverse ? FALSE
               : !(c->params.bidirectional && i >= c->params.parallel);
      st = ws_iperf3_stream_new (s, c->params.udp, i);
      g_ptr_array_add (c->streams, st);
      ws_iperf3_stream_setup (st, ws_iperf3_stream_id (i), sender, &c->params,
                              &c->stop_flag, &c->total_sent);
    }
  return TRUE;
}

typedef struct {
  guint64 sent, received;
} Totals;

static void
fill_flow (Client      *c,
           WsFlowStats *f,
           gboolean     sender_side,   /* streams where this end sends */
           guint64     *last_bytes,
           gboolean     final)
{
  guint n = 0;
  guint64 rtt_sum = 0;

  f->udp = c->params.udp;
  for (guint i = 0; i < c->streams->len; i++)
    {
      WsIperf3Stream *s = g_ptr_array_index (c->streams, i);
      guint64 bytes = atomic_load_explicit (&s->bytes, memory_order_relaxed);
      guint32 rtt = 0;

      if (s->sender != sender_side)
        continue;
      f->measured = TRUE;
      if (sender_side)
        f->sender_bytes += bytes - last_bytes[i];
      else
        f->receiver_bytes += bytes - last_bytes[i];
      last_bytes[i] = bytes;
      /* Only a sender's smoothed RTT times its data: a receiver sends
       * little but ACKs, and its estimate reads microseconds on a link
       * whose queue holds tens of milliseconds. */
      if (!s->udp && sender_side)
        {
          guint32 retrans = ws_iperf3_stream_tcp_info (s, &rtt);

          if (final)
            f->retransmits += retrans;
          if (rtt > 0)
            {
              rtt_sum += rtt;
              n++;
              if (!final)
                ws_histogram_record (c->tcp_rtt, (guint64) rtt * 1000);
            }
        }
    }
  if (n > 0)
    f->rtt_us = rtt_sum / n;
  /* Per interval, iperf3 tells us nothing of the far end: this end's
   * count stands for both. */
  if (!final)
    {
      if (sender_side)
        f->receiver_bytes = f->sender_bytes;
      else
        f->sender_bytes = f->receiver_bytes;
    }
}

static gboolean
has_senders (Client *c, gboolean sender)
{
  for (guint i = 0; i < c->streams->len; i++)
    if (((WsIperf3Stream *) g_ptr_array_index (c->streams, i))->sender == sender)
      return TRUE;
  return FALSE;
}

/* -n: iperf3's senders stop at the first whole block at or past the size,
 * all streams together, so this end is done when its senders have reached
 * it and its receivers have as much. */
static gboolean
bytes_done (Client *c)
{
  guint64 received = 0;

  if (has_senders (c, TRUE)
      && atomic_load_explicit (&c->total_sent, memory_order_relaxed) < c->params.bytes)
    return FALSE;
  for (guint i = 0; i < c->streams->len; i++)
    {
      WsIperf3Stream *s = g_ptr_array_index (c->streams, i);

      int unacked = 0;

      if (!s->sender)
        received += atomic_load_explicit (&s->bytes, memory_order_relaxed);
      /* iperf3 counts what it has read when TEST_END comes: bytes still
       * in our send queue would be missing from its count. */
      else if (!s->udp && ioctl (s->fd, SIOCOUTQ, &unacked) == 0 && unacked > 0)
        return FALSE;
    }
  return !has_senders (c, FALSE) || received >= c->params.bytes;
}

/* The test's clock: one sample per interval until the duration is up or
 * the caller stops us; the server may end it too (SERVER_TERMINATE). */
static gboolean
run_clock (Client  *c,
           GError **error)
{
  gint64 interval_ns = (gint64) c->config->interval_ms * 1000000;
  gint64 end_ns = c->start_ns + (gint64) c->config->duration_s * WS_NSEC_PER_SEC;
  gint64 next = c->start_ns + interval_ns, last = c->start_ns;
  g_autofree guint64 *last_bytes = g_new0 (guint64, c->streams->len);
  guint index = 0;

  for (;;)
    {
      g_autoptr(GError) local_error = NULL;
      gint64 now = ws_now_ns ();
      gint64 wake;

      if (c->params.bytes != 0 && now < end_ns && bytes_done (c))
        end_ns = now;
      wake = MIN (next, end_ns);

      if (g_cancellable_is_cancelled (c->stop))
        {
          c->interrupted = TRUE;
          return TRUE;
        }
      if (now >= wake)
        {
          WsSample sample = { 0 };
          gint64 t = MIN (now, end_ns);

          sample.index = index++;
          sample.start_s = (last - c->start_ns) / 1e9;
          sample.end_s = (t - c->start_ns) / 1e9;
          if (has_senders (c, TRUE))
            fill_flow (c, &sample.upload, TRUE, last_bytes, FALSE);
          if (has_senders (c, FALSE))
            fill_flow (c, &sample.download, FALSE, last_bytes, FALSE);
          if (c->probe != NULL)
            ws_connect_probe_take_interval (c->probe, &sample.probe);
          ws_sampler_add_sample (c->result, &sample);
          if (c->on_sample)
            c->on_sample (&sample, c->user_data);
          last = t;
          next += interval_ns;
          if (t >= end_ns)
            return TRUE;
          continue;
        }
      if (ws_io_wait_readable (c->control,
                               MIN (wake, now + (c->params.bytes ? 10 : 100) * 1000000),
                               NULL, &local_error))
        {
          gint8 state;

          /* Only an error or a termination can come now. */
          if (!read_state (c, &state, error))
            return FALSE;
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       /* Translators: %d is the number of an iperf3 protocol state. */
                       _("The iperf3 server sent state %d during the test"), state);
          return FALSE;
        }
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

static char *
build_our_results (Client *c,
                   gdouble seconds)
{
  g_autoptr(WsIperf3Results) r = ws_iperf3_results_new ();

  /* CPU use is not measured on this side; iperf3 shows it as 0. */
  r->sender_has_retransmits = !has_senders (c, TRUE) ? -1 : c->params.udp ? 0 : 1;
  for (guint i = 0; i < c->streams->len; i++)
    {
      WsIperf3Stream *s = g_ptr_array_index (c->streams, i);
      WsIperf3StreamResult sr = { 0 };
      guint32 rtt;

      sr.id = s->id;
      sr.bytes = s->bytes;
      sr.retransmits = (s->sender && !s->udp) ? (gint64) ws_iperf3_stream_tcp_info (s, &rtt) : -1;
      sr.end_time = seconds;
      if (s->udp && !s->sender)
        {
          sr.jitter_s = s->rx.jitter_s;
          sr.errors = s->rx.errors;
          sr.packets = s->rx.packet_count;
        }
      else if (s->udp)
        sr.packets = s->packets;
      g_array_append_val (r->streams, sr);
    }
  return ws_iperf3_results_build (r);
}

static void
summarise (Client          *c,
           WsIperf3Results *theirs,
           gdouble          seconds)
{
  WsResult *r = c->result;

  for (guint i = 0; i < c->streams->len; i++)
    ws_sampler_add_iperf3_stream (r, g_ptr_array_index (c->streams, i), theirs, seconds);
  ws_sampler_set_latency (r, c->connect_rtt, g_steal_pointer (&c->tcp_rtt));
  ws_sampler_close (r, seconds, c->interrupted, TRUE);
  /* A JSON value (latency_method): English, as every key and value there. */
  r->latency_method = g_strdup (has_senders (c, TRUE) && !c->params.udp
                                ? "iperf3 server: idle = TCP connect time of the data connections; "
                                  "loaded = TCP_INFO smoothed RTT of the streams this end sends, once per "
                                  "interval"
                                : "iperf3 server: idle = connect time of the data connections; "
                                  "loaded = TCP connect time to the server's port during the load, "
                                  "10 a second (iperf3 answers them busy)");
}

/* iperf3's parameters for the test @config asks for. */
static void
fill_params (WsIperf3Params     *p,
             const WsTestConfig *cfg)
{
  p->udp = cfg->mode == WS_TEST_UDP_STREAM;
  p->reverse = cfg->direction == WS_DIRECTION_DOWNLOAD;
  p->bidirectional = cfg->direction == WS_DIRECTION_BIDIR;
  p->time_s = cfg->duration_s;
  p->bytes = cfg->bytes;
  p->parallel = CLAMP (cfg->streams, 1, WS_IPERF3_MAX_STREAMS);
  p->len = cfg->length ? cfg->length : p->udp ? WS_DEFAULT_UDP_LENGTH : WS_DEFAULT_LENGTH;
  if (p->udp)
    p->bandwidth = cfg->bitrate == G_MAXUINT64 ? WS_DEFAULT_UDP_BITRATE : cfg->bitrate;
  p->client_version = g_strdup ("3.12");
}

static gboolean
check_config (const WsTestConfig  *cfg,
              GError             **error)
{
  if (cfg->mode != WS_TEST_TCP_STREAM && cfg->mode != WS_TEST_UDP_STREAM)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           _("An iperf3 server runs only TCP_STREAM and UDP_STREAM tests"));
      return FALSE;
    }
  if (cfg->tls || cfg->auth_name != NULL)
    {
      g_set_error_literal (error, WS_CLIENT_ERROR, WS_CLIENT_ERROR_IPERF3_NO_SECURITY,
                           _("iperf3 has no TLS and no Wirespeed keys"));
      return FALSE;
    }
  return TRUE;
}

/* From the connection to the running test, its streams started. */
static gboolean
start_test (Client  *c,
            GError **error)
{
  g_autofree char *params = NULL;

  if (!open_control (c, error))
    return FALSE;
  /* iperf3 does not say where it saw us from: no client_address. */
  ws_client_result_set_addresses (c->result, c->control, c->remote);
  params = ws_iperf3_build_params (&c->params);
  if (!write_json (c, params, error)
      || !expect_state (c, WS_IPERF3_CREATE_STREAMS, error)
      || !open_streams (c, error)
      || !expect_state (c, WS_IPERF3_TEST_START, error)
      || !expect_state (c, WS_IPERF3_TEST_RUNNING, error))
    return FALSE;

  c->result->start_time = g_date_time_new_now_utc ();
  c->start_ns = ws_now_ns ();
  for (guint i = 0; i < c->streams->len; i++)
    if (!ws_iperf3_stream_start (g_ptr_array_index (c->streams, i), error))
      return FALSE;
  if (c->params.udp || !has_senders (c, TRUE))
    c->probe = ws_connect_probe_start (c->remote, CONNECT_PROBE_NS);
  return TRUE;
}

/* From TEST_END to IPERF_DONE: the streams stopped, both ends' results
 * exchanged. */
static WsIperf3Results *
end_test (Client  *c,
          gdouble *seconds,
          GError **error)
{
  g_autoptr(WsIperf3Results) theirs = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *json = NULL;
  gsize len = 0;

  c->stop_ns = ws_now_ns ();
  atomic_store (&c->stop_flag, TRUE);
  if (c->probe != NULL)
    ws_connect_probe_stop (c->probe, c->tcp_rtt);
  if (!send_state (c, WS_IPERF3_TEST_END, error))
    return NULL;
  for (guint i = 0; i < c->streams->len; i++)
    ws_iperf3_stream_join (g_ptr_array_index (c->streams, i));
  *seconds = (c->stop_ns - c->start_ns) / 1e9;

  ours = build_our_results (c, *seconds);
  if (!expect_state (c, WS_IPERF3_EXCHANGE_RESULTS, error)
      || !write_json (c, ours, error)
      || (json = read_json (c, &len, error)) == NULL)
    return NULL;
  theirs = ws_iperf3_results_parse (json, len, error);
  if (theirs == NULL)
    {
      g_prefix_error (error, _("The iperf3 server’s results: "));
      return NULL;
    }
  if (!expect_state (c, WS_IPERF3_DISPLAY_RESULTS, error)
      || !send_state (c, WS_IPERF3_IPERF_DONE, error))
    return NULL;
  return g_steal_pointer (&theirs);
}

static WsResult *
run_test (Client  *c,
          GError **error)
{
  g_autoptr(WsIperf3Results) theirs = NULL;
  gdouble seconds = 0;

  fill_params (&c->params, c->config);
  c->result = ws_client_result_new (c->config);
  c->result->streams = c->params.parallel;
  c->result->length = c->params.len;
  c->result->peer_protocol = g_strdup (ws_peer_kind_to_string (WS_PEER_IPERF3));
  c->connect_rtt = ws_histogram_new ();
  c->tcp_rtt = ws_histogram_new ();

  if (!check_config (c->config, error) || !start_test (c, error) || !run_clock (c, error))
    return NULL;
  theirs = end_test (c, &seconds, error);
  if (theirs == NULL)
    return NULL;
  summarise (c, theirs, seconds);
  return g_steal_pointer (&c->result);
}

/**
 * ws_iperf3_client_run:
 * @just_answered: the server answered a moment ago, so a refused
 *   connection means it is between two tests: try again for a while
 * @stop: cancelling it ends the test early (the result says interrupted)
 * @on_sample: called from this thread once per interval
 *
 * Runs one TCP_STREAM or UDP_STREAM test against an iperf3 3.x server.
 * Blocks; call it from a worker thread.
 */
WsResult *
ws_iperf3_client_run (const WsTestConfig  *config,
                      gboolean             just_answered,
                      GCancellable        *stop,
                      WsSampleFunc         on_sample,
                      gpointer             user_data,
                      GError             **error)
{
  Client c = { 0 };
  WsResult *result;

  c.config = config;
  c.just_answered = just_answered;
  c.stop = stop;
  c.on_sample = on_sample;
  c.user_data = user_data;
  result = run_test (&c, error);
  if (result == NULL && c.control != NULL)
    {
      guint8 bye = (guint8) WS_IPERF3_CLIENT_TERMINATE;
      /* Tell the server, so it does not wait out its timeout. */
      ws_io_write_all (c.control, &bye, 1, ws_now_ns () + WS_NSEC_PER_SEC, NULL, NULL);
    }
  client_clear (&c);
  return result;
}

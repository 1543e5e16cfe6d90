/* test-modes.c — TCP_RR, UDP_RR, UDP_STREAM, latency under load and the
 * speed test, over real sockets on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ws-listen-util.h"
#include "ws-stream.h"
#include "ws-test-util.h"
#include "ws-time.h"

static void
check_latency (const WsLatency *l)
{
  g_assert_cmpuint (l->count, >, 0);
  g_assert_cmpfloat (l->min, >, 0);
  g_assert_cmpfloat (l->min, <=, l->p50);
  g_assert_cmpfloat (l->p50, <=, l->p90);
  g_assert_cmpfloat (l->p90, <=, l->p99);
  g_assert_cmpfloat (l->p99, <=, l->p999);
  g_assert_cmpfloat (l->p999, <=, l->max);
  g_assert_cmpfloat (l->mean, >=, l->min);
  g_assert_cmpfloat (l->mean, <=, l->max);
  g_assert_cmpfloat (l->stddev, >=, 0);
}

static WsResult *
run_mode (WsServer   *server,
          WsTestMode  mode,
          WsDirection direction,
          guint       streams,
          guint64     bitrate)
{
  WsTestConfig config;
  WsTestRun run = { 0 };
  WsResult *result;

  ws_test_config_for (&config, server, "127.0.0.1", 2);
  config.mode = mode;
  config.direction = direction;
  config.streams = streams;
  config.bitrate = bitrate;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.samples, ==, run.result->samples->len);
  result = g_steal_pointer (&run.result);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
  return result;
}

static void
check_rr (WsResult *r)
{
  guint64 sum = 0;

  g_assert_cmpuint (r->transactions, >, 100);
  /* TCP loses nothing. A UDP reply later than the adaptive timeout (50 ms
   * at least) counts as lost: a loaded machine can stall that long, so a
   * few may be; every request is accounted for either way. */
  if (r->mode == WS_TEST_TCP_RR)
    g_assert_cmpuint (r->rr_lost, ==, 0);
  else
    g_assert_cmpuint (r->rr_lost * 100, <=, r->requests_sent);
  g_assert_cmpuint (r->requests_sent, ==, r->transactions + r->rr_lost);
  g_assert_cmpuint (r->latency.count, ==, r->transactions);
  check_latency (&r->latency);
  g_assert_false (r->upload.measured);
  g_assert_false (r->download.measured);
  for (guint i = 0; i < r->samples->len; i++)
    {
      const WsSample *s = &g_array_index (r->samples, WsSample, i);

      sum += s->transactions;
      if (s->transactions > 0)
        check_latency (&s->latency);
    }
  g_assert_cmpuint (sum, ==, r->transactions);
}

static void
test_tcp_rr (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(WsResult) r = run_mode (server, WS_TEST_TCP_RR, WS_DIRECTION_UPLOAD, 1, 0);

  check_rr (r);
}

static void
test_udp_rr (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(WsResult) r = run_mode (server, WS_TEST_UDP_RR, WS_DIRECTION_UPLOAD, 2, 0);

  check_rr (r);
}

/* Datagram accounting must add up exactly on a loss-free link, and the
 * paced rate must be what was asked for. */
static void
check_udp_flow (const WsFlowStats *f,
                gdouble            seconds,
                guint64            bitrate,
                guint64            dropped)
{
  g_assert_true (f->measured);
  g_assert_true (f->udp);
  g_assert_cmpuint (f->sender_packets, >, 0);
  /* Loopback loses what a full receive buffer drops (the kernel counts
   * those) and, on a starved machine, the last datagrams a late sender
   * sent after the receiver had drained and stopped counting (1 with none
   * dropped once, ASan beside stress-ng): a trace of loss beyond the
   * drops, never a datagram counted lost that was not sent, nor one
   * counted twice. */
  g_assert_cmpuint (f->receiver_packets + f->lost, <=, f->sender_packets);
  g_assert_cmpuint (f->lost, <=, dropped + f->sender_packets / 200);
  g_assert_cmpuint (f->out_of_order, ==, 0);
  g_assert_cmpuint (f->duplicates, ==, 0);
  g_assert_cmpuint (f->receiver_bytes, ==, f->receiver_packets * WS_DEFAULT_UDP_LENGTH);
  g_assert_cmpuint (f->sender_bytes, ==, f->sender_packets * WS_DEFAULT_UDP_LENGTH);
  /* Over the whole test a pacer never exceeds its rate (it is never ahead
   * of schedule, see test_udp_stream); it can end short of it when the
   * scheduler starved it near the end, with no time left to catch up (18.8
   * of 20 Mbit/s seen beside stress-ng), so the lower bound only catches a
   * pacer that is wrong, and the typical interval is held to 15 % there. */
  g_assert_cmpfloat (ws_flow_stats_sender_bps (f, seconds), <=, bitrate * 1.05);
  g_assert_cmpfloat (ws_flow_stats_sender_bps (f, seconds), >=, bitrate * 0.8);
  g_assert_cmpfloat (f->jitter_ms, >=, 0);
}

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

static void
test_udp_stream (gconstpointer data)
{
  WsDirection direction = GPOINTER_TO_UINT (data);
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  guint64 bitrate = 20 * 1000 * 1000;
  guint64 dropped = udp_rcvbuf_errors ();
  g_autoptr(WsResult) r = run_mode (server, WS_TEST_UDP_STREAM, direction, 1, bitrate);
  g_autoptr(GArray) rates = g_array_new (FALSE, FALSE, sizeof (gdouble));

  dropped = udp_rcvbuf_errors () - dropped;
  if (direction != WS_DIRECTION_DOWNLOAD)
    check_udp_flow (&r->upload, r->elapsed_s, bitrate, dropped);
  if (direction != WS_DIRECTION_UPLOAD)
    check_udp_flow (&r->download, r->elapsed_s, bitrate, dropped);

  /* Paced, not bursty. A pacer is never ahead of its schedule: by the end
   * of every interval it has sent at most the rate times the time so far,
   * plus one batch of 64 datagrams and the 10 ms the two clocks may be
   * apart; a sender that did not pace would be seconds ahead after the
   * first. It may fall behind (a starved sender catches up later), so an
   * interval alone has no lower bound on a loaded machine: the typical
   * one, the median, carries its share to 15 %. */
  guint64 sent = 0;

  for (guint i = 0; i + 1 < r->samples->len; i++)
    {
      const WsSample *s = &g_array_index (r->samples, WsSample, i);
      const WsFlowStats *f = direction == WS_DIRECTION_DOWNLOAD ? &s->download : &s->upload;
      gdouble bps = ws_flow_stats_sender_bps (f, s->end_s - s->start_s);

      sent += f->sender_bytes;
      g_assert_cmpfloat (sent * 8.0, <=, bitrate * (s->end_s + 0.010) + 64.0 * WS_DEFAULT_UDP_LENGTH * 8);
      g_array_append_val (rates, bps);
    }
  g_assert_cmpuint (rates->len, >, 0);
  g_array_sort (rates, compare_doubles);
  g_assert_cmpfloat_with_epsilon (g_array_index (rates, gdouble, rates->len / 2),
                                  bitrate, bitrate * 0.15);
}

/* At 2 Gbit/s a batch holds dozens of datagrams, so the sender cuts them
 * with GSO and the receiver takes them coalesced (GRO); with no_gso the
 * client does neither, so each direction crosses an offloading sender to
 * a plain receiver or the other way round. Whichever way, every datagram
 * is counted once, as the sender sent it, and a fixed size arrives whole
 * when the kernel dropped nothing. */
static void
test_udp_offload (gconstpointer data)
{
  guint variant = GPOINTER_TO_UINT (data);
  WsDirection direction = variant & 1 ? WS_DIRECTION_DOWNLOAD : WS_DIRECTION_UPLOAD;
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  guint64 size = 20 * 1000 * 1000;
  guint64 dropped = udp_rcvbuf_errors ();
  WsTestConfig config;
  WsTestRun run = { 0 };
  const WsFlowStats *f;

  ws_test_config_for (&config, server, "127.0.0.1", 10);
  config.mode = WS_TEST_UDP_STREAM;
  config.direction = direction;
  config.bitrate = 2 * G_GUINT64_CONSTANT (1000000000);
  config.bytes = size;
  config.no_gso = (variant & 2) != 0;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  dropped = udp_rcvbuf_errors () - dropped;
  f = direction == WS_DIRECTION_DOWNLOAD ? &run.result->download : &run.result->upload;
  g_assert_cmpuint (f->sender_bytes, ==, size);
  g_assert_cmpuint (f->sender_packets, ==, (size + WS_DEFAULT_UDP_LENGTH - 1) / WS_DEFAULT_UDP_LENGTH);
  g_assert_cmpuint (f->receiver_packets + f->lost, <=, f->sender_packets);
  g_assert_cmpuint (f->lost, <=, dropped + f->sender_packets / 200);
  g_assert_cmpuint (f->out_of_order, ==, 0);
  g_assert_cmpuint (f->duplicates, ==, 0);
  if (f->lost == 0)
    {
      g_assert_cmpuint (f->receiver_packets, ==, f->sender_packets);
      g_assert_cmpuint (f->receiver_bytes, ==, size);
    }
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

static void
test_under_load (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  WsServerStats stats;
  WsTestConfig config;
  WsTestRun run = { 0 };
  WsResult *r;

  ws_test_config_for (&config, server, "127.0.0.1", 2);
  config.latency_probe = TRUE;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  r = run.result;
  check_latency (&r->idle_latency);
  check_latency (&r->loaded_latency);
  /* A probe every 15 ms: about 130 in 2 s, and never a flood. */
  g_assert_cmpuint (r->idle_latency.count, >=, 50);
  g_assert_cmpuint (r->idle_latency.count, <=, 2000 / 15 + 5);
  g_assert_cmpuint (r->probe_sent, >=, 50);
  g_assert_cmpuint (r->probe_sent, <=, 2000 / 15 + 5);
  g_assert_cmpuint (r->probe_lost, ==, 0);
  g_assert_cmpfloat (ws_result_rpm (r), >, 0);
  g_assert_nonnull (ws_rpm_band (ws_result_rpm (r)));
  /* The load itself is measured as without the probe. */
  g_assert_cmpuint (r->upload.receiver_bytes, ==, r->upload.sender_bytes);
  g_assert_cmpuint (r->stream_summaries->len, ==, 1);

  ws_test_wait_idle (server, 5);
  ws_server_get_stats (server, &stats);
  g_assert_cmpuint (stats.sessions_completed, ==, 2); /* idle probe, then load */
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

static void
test_speed (void)
{
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  WsTestConfig config;
  WsTestRun run = { 0 };
  WsResult *r;
  gdouble last_end = 0;
  guint first_upload = 0;

  ws_test_config_for (&config, server, "127.0.0.1", 2);
  config.mode = WS_TEST_SPEED;
  config.streams = 2;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  r = run.result;
  g_assert_cmpint (r->mode, ==, WS_TEST_SPEED);
  g_assert_true (r->download.measured);
  g_assert_true (r->upload.measured);
  g_assert_cmpuint (r->download.receiver_bytes, ==, r->download.sender_bytes);
  g_assert_cmpuint (r->upload.receiver_bytes, ==, r->upload.sender_bytes);
  /* Each phase lasts at least what was asked; a starved client may stop
   * it late (2.63 s once, beside stress-ng), and its rates then use the
   * time it really took. Each is its own phase's time, not the whole. */
  g_assert_cmpfloat (r->download_s, >=, 1.9);
  g_assert_cmpfloat (r->upload_s, >=, 1.9);
  g_assert_cmpfloat_with_epsilon (r->elapsed_s, r->download_s + r->upload_s, 1e-6);
  check_latency (&r->idle_latency);
  check_latency (&r->loaded_latency_download);
  check_latency (&r->loaded_latency_upload);
  check_latency (&r->loaded_latency);
  g_assert_cmpuint (r->loaded_latency.count, ==,
                    r->loaded_latency_download.count + r->loaded_latency_upload.count);
  /* One timeline: download's intervals, then upload's. */
  g_assert_cmpuint (run.samples, ==, r->samples->len);
  for (guint i = 0; i < r->samples->len; i++)
    {
      const WsSample *s = &g_array_index (r->samples, WsSample, i);

      g_assert_cmpuint (s->index, ==, i);
      g_assert_cmpfloat (s->start_s, >=, last_end - 0.2);
      last_end = s->end_s;
      /* The upload's timeline starts where the download phase ended. */
      if (s->upload.measured && !first_upload++)
        g_assert_cmpfloat_with_epsilon (s->start_s, r->download_s, 0.01);
    }
  g_assert_cmpuint (first_upload, >, 0);
  g_assert_cmpuint (r->stream_summaries->len, ==, 4);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

/* A responder that drops every third request and answers every fifth
 * one too late: lost requests are counted and the loop goes on, and a
 * late reply is never taken for the current request's. */
typedef struct {
  int fd;
  gboolean stop;
  guint dropped;
  guint delayed;
  guint replied;
  /* Drop nothing; delay every tenth reply this long, and none after
   * @slow_until (a ws_now_ns() time). 0: the drop-and-delay pattern. */
  gint64 slow_ns;
  gint64 slow_until;
} Responder;

static void
reply (Responder *r, WsUdpHeader *h)
{
  guint8 buf[WS_UDP_HEADER_SIZE];

  h->flags = WS_UDP_FLAG_RESPONSE;
  ws_udp_header_encode (h, buf, sizeof buf);
  send (r->fd, buf, sizeof buf, 0);
  r->replied++;
}

static gpointer
respond (gpointer data)
{
  Responder *r = data;
  WsUdpHeader late = { 0 };
  gint64 late_due = 0;
  guint8 buf[2048];
  guint n = 0;

  while (!g_atomic_int_get (&r->stop))
    {
      ssize_t got = recv (r->fd, buf, sizeof buf, MSG_DONTWAIT);
      WsUdpHeader h;

      /* The late reply goes out 30 ms on, while the client is already
       * waiting for a newer request's. */
      if (late_due && ws_now_ns () >= late_due)
        {
          reply (r, &late);
          late_due = 0;
        }
      if (got <= 0 || !ws_udp_header_decode (buf, got, &h))
        {
          g_usleep (100);
          continue;
        }
      n++;
      if (r->slow_ns)
        {
          if (n % 10 == 0 && late_due == 0 && ws_now_ns () < r->slow_until)
            {
              r->delayed++;
              late = h;
              late_due = ws_now_ns () + r->slow_ns;
            }
          else
            reply (r, &h);
        }
      else if (n % 3 == 0)
        r->dropped++;
      else if (n % 5 == 0 && late_due == 0)
        {
          r->delayed++;
          late = h;
          late_due = ws_now_ns () + 30 * WS_NSEC_PER_MSEC;
        }
      else
        reply (r, &h);
    }
  return NULL;
}

static GSocket *
udp_socket_pair_end (GSocket **other)
{
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (lo, 0);
  GSocket *a = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  GSocket *b = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, NULL);
  g_autoptr(GSocketAddress) addr_a = NULL;
  g_autoptr(GSocketAddress) addr_b = NULL;

  g_assert_true (g_socket_bind (a, any, FALSE, NULL));
  g_assert_true (g_socket_bind (b, any, FALSE, NULL));
  addr_a = g_socket_get_local_address (a, NULL);
  addr_b = g_socket_get_local_address (b, NULL);
  g_assert_true (g_socket_connect (a, addr_b, NULL, NULL));
  g_assert_true (g_socket_connect (b, addr_a, NULL, NULL));
  *other = b;
  return a;
}

static void
test_udp_rr_loss (void)
{
  GSocket *theirs = NULL;
  g_autoptr(GSocket) ours = udp_socket_pair_end (&theirs);
  WsStreamParams params = { .length = 64, .rr_request = 24, .rr_response = 24,
                            .rr_timeout_ns = 10 * WS_NSEC_PER_MSEC };
  g_autoptr(WsStream) stream = ws_stream_new (ours, 0, WS_ROLE_RR, WS_STREAM_UDP_RR_CLIENT, &params);
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  Responder responder = { g_socket_get_fd (theirs) };
  GThread *thread = g_thread_new ("responder", respond, &responder);
  WsStreamCounters c;

  g_assert_true (ws_stream_start (stream, NULL));
  g_usleep (G_USEC_PER_SEC);
  ws_stream_stop_sending (stream);
  ws_stream_join (stream);
  g_atomic_int_set (&responder.stop, TRUE);
  g_thread_join (thread);

  ws_stream_read (stream, &c);
  ws_stream_take_latency (stream, h);
  g_assert_cmpuint (responder.dropped, >, 5);
  g_assert_cmpuint (responder.delayed, >, 2);
  /* Every dropped or late request counts lost, within the one in flight
   * when the loop stopped; and nothing else is lost but a request whose
   * reply came after the 10 ms timeout (on a starved machine an answer
   * sent at once can, 62 against 59 once at load 10). */
  g_assert_cmpuint (c.lost + 1, >=, responder.dropped + responder.delayed);
  g_assert_cmpuint (c.lost, <=, responder.dropped + c.late + 1);
  g_assert_cmpuint (c.late, >=, responder.delayed - 1);
  g_assert_cmpuint (ws_histogram_count (h), ==, c.packets);
  /* No RTT was taken from a late reply: all are well under the delay. */
  g_assert_cmpuint (ws_histogram_max (h), <, 10 * WS_NSEC_PER_MSEC);
  g_object_unref (theirs);
}

/* Adaptive timeout: a reply ten times slower than any before is a long
 * round trip, not a loss. The loop moves on after the timeout, and the
 * reply, when it comes, is recorded with its real RTT. Under load this is
 * exactly the round trip a latency probe is for. */
static void
test_udp_rr_late (void)
{
  GSocket *theirs = NULL;
  g_autoptr(GSocket) ours = udp_socket_pair_end (&theirs);
  WsStreamParams params = { .length = 64, .rr_request = 24, .rr_response = 24,
                            .pace_ns = 5 * WS_NSEC_PER_MSEC };
  g_autoptr(WsStream) stream = ws_stream_new (ours, 0, WS_ROLE_RR, WS_STREAM_UDP_RR_CLIENT, &params);
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  /* 200 ms: past the 50 ms floor of the adaptive timeout, inside the 3 s
   * loss window; the last one is due well before the stream stops. */
  Responder responder = { g_socket_get_fd (theirs), .slow_ns = 200 * WS_NSEC_PER_MSEC,
                          .slow_until = ws_now_ns () + WS_NSEC_PER_SEC };
  GThread *thread = g_thread_new ("responder", respond, &responder);
  WsStreamCounters c;

  g_assert_true (ws_stream_start (stream, NULL));
  g_usleep (2 * G_USEC_PER_SEC);
  ws_stream_stop_sending (stream);
  ws_stream_join (stream);
  g_atomic_int_set (&responder.stop, TRUE);
  g_thread_join (thread);

  ws_stream_read (stream, &c);
  ws_stream_take_latency (stream, h);
  g_assert_cmpuint (responder.delayed, >, 1);
  g_assert_cmpuint (c.lost, ==, 0);
  /* The first slow reply came after its timeout; after it the timeout
   * had learnt, and the others were in time. */
  g_assert_cmpuint (c.late, >=, 1);
  /* Every reply but the one in flight at the stop is one transaction,
   * the slow ones with the delay they had. */
  g_assert_cmpuint (c.packets, <=, responder.replied);
  g_assert_cmpuint (c.packets + 1, >=, responder.replied);
  g_assert_cmpuint (ws_histogram_count (h), ==, c.packets);
  g_assert_cmpuint (ws_histogram_max (h), >=, 200 * WS_NSEC_PER_MSEC);
  g_object_unref (theirs);
}

static void
assert_keys (JsonObject         *o,
             const char * const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    if (!json_object_has_member (o, keys[i]))
      g_error ("JSON lacks “%s”", keys[i]);
}

static const char * const latency_keys[] = {
  "min", "mean", "p50", "p90", "p99", "p999", "max", "stddev", NULL
};

/* The keys the issues name are a contract scripts depend on. */
static void
test_json_contract (void)
{
  static const char * const rr_summary[] = {
    "transactions_per_s", "latency_ms", "packets_sent", "packets_received", "packets_lost",
    "loss_percent", "jitter_ms", NULL
  };
  static const char * const rr_interval[] = {
    "transactions_per_s", "rtt_ms", "jitter_ms", "loss_percent", NULL
  };
  static const char * const udp_summary[] = {
    "packets_sent", "packets_received", "packets_lost", "loss_percent", "out_of_order",
    "duplicates", "jitter_ms", NULL
  };
  static const char * const udp_interval[] = { "jitter_ms", "loss_percent", NULL };
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(WsResult) rr = run_mode (server, WS_TEST_UDP_RR, WS_DIRECTION_UPLOAD, 1, 0);
  g_autoptr(WsResult) udp = run_mode (server, WS_TEST_UDP_STREAM, WS_DIRECTION_UPLOAD, 1, 10000000);
  g_autoptr(JsonNode) rr_json = ws_result_to_json (rr);
  g_autoptr(JsonNode) udp_json = ws_result_to_json (udp);
  JsonObject *o, *summary;

  o = json_node_get_object (rr_json);
  summary = json_object_get_object_member (o, "summary");
  assert_keys (summary, rr_summary);
  assert_keys (json_object_get_object_member (summary, "latency_ms"), latency_keys);
  g_assert_cmpfloat (json_object_get_double_member (summary, "transactions_per_s"), >, 0);
  assert_keys (json_array_get_object_element (json_object_get_array_member (o, "intervals"), 0),
               rr_interval);

  o = json_node_get_object (udp_json);
  summary = json_object_get_object_member (o, "summary");
  assert_keys (summary, udp_summary);
  g_assert_cmpint (json_object_get_int_member (summary, "packets_sent"), ==,
                   json_object_get_int_member (summary, "packets_received"));
  g_assert_cmpfloat (json_object_get_double_member (summary, "loss_percent"), ==, 0);
  assert_keys (json_array_get_object_element (json_object_get_array_member (o, "intervals"), 0),
               udp_interval);
}

static void
test_json_speed_contract (void)
{
  static const char * const speed_summary[] = {
    "idle_latency_ms", "loaded_latency_ms", "loaded_latency_download_ms",
    "loaded_latency_upload_ms", "rpm", "rpm_band", "jitter_ms", "latency_increase_ms",
    "probe_loss_percent", "upload_bps", "download_bps", NULL
  };
  g_autoptr(WsServer) server = ws_test_server_new (4, 5);
  g_autoptr(JsonNode) root = NULL;
  JsonObject *summary;
  WsTestConfig config;
  WsTestRun run = { 0 };

  ws_test_config_for (&config, server, "127.0.0.1", 1);
  config.mode = WS_TEST_SPEED;
  ws_test_run (&run, &config);
  g_assert_no_error (run.error);
  root = ws_result_to_json (run.result);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "test"), ==, "SPEED");
  summary = json_object_get_object_member (json_node_get_object (root), "summary");
  assert_keys (summary, speed_summary);
  assert_keys (json_object_get_object_member (summary, "idle_latency_ms"), latency_keys);
  assert_keys (json_object_get_object_member (summary, "loaded_latency_upload_ms"), latency_keys);
  g_assert_cmpfloat (json_object_get_double_member (summary, "download_bps"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (summary, "rpm"), >, 0);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/modes/tcp-rr", test_tcp_rr);
  g_test_add_func ("/modes/udp-rr", test_udp_rr);
  g_test_add_func ("/modes/udp-rr-loss", test_udp_rr_loss);
  g_test_add_func ("/modes/udp-rr-late", test_udp_rr_late);
  g_test_add_data_func ("/modes/udp-stream/upload", GUINT_TO_POINTER (WS_DIRECTION_UPLOAD), test_udp_stream);
  g_test_add_data_func ("/modes/udp-stream/download", GUINT_TO_POINTER (WS_DIRECTION_DOWNLOAD), test_udp_stream);
  g_test_add_data_func ("/modes/udp-stream/bidir", GUINT_TO_POINTER (WS_DIRECTION_BIDIR), test_udp_stream);
  g_test_add_data_func ("/modes/udp-offload/upload", GUINT_TO_POINTER (0), test_udp_offload);
  g_test_add_data_func ("/modes/udp-offload/download", GUINT_TO_POINTER (1), test_udp_offload);
  g_test_add_data_func ("/modes/udp-offload/upload-no-gso", GUINT_TO_POINTER (2), test_udp_offload);
  g_test_add_data_func ("/modes/udp-offload/download-no-gso", GUINT_TO_POINTER (3), test_udp_offload);
  g_test_add_func ("/modes/under-load", test_under_load);
  g_test_add_func ("/modes/speed", test_speed);
  g_test_add_func ("/modes/json-contract", test_json_contract);
  g_test_add_func ("/modes/json-speed-contract", test_json_speed_contract);
  return g_test_run ();
}

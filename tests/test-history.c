/* test-history.c — results read back from their JSON, and the history
 * store: real loopback tests of every mode round-tripped, stored, listed,
 * exported; damaged files and hostile JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#include "ws-history.h"
#include "ws-test-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Real tests ------------------------------------------------------------ */

typedef struct {
  const char *name;
  WsTestMode mode;
  WsDirection direction;
  guint streams;
  guint duration_s;
  guint64 bitrate;
  gboolean probe;
  guint cancel_after_samples;
  guint cancel_after_ms;
} RunSpec;

static const RunSpec run_specs[] = {
  { "tcp-upload", WS_TEST_TCP_STREAM, WS_DIRECTION_UPLOAD, 2, 1 },
  { "tcp-download", WS_TEST_TCP_STREAM, WS_DIRECTION_DOWNLOAD, 3, 1 },
  { "tcp-bidir", WS_TEST_TCP_STREAM, WS_DIRECTION_BIDIR, 2, 1 },
  { "tcp-rr", WS_TEST_TCP_RR, WS_DIRECTION_UPLOAD, 1, 1 },
  { "udp-bidir", WS_TEST_UDP_STREAM, WS_DIRECTION_BIDIR, 2, 1, 50000000 },
  { "udp-rr", WS_TEST_UDP_RR, WS_DIRECTION_UPLOAD, 1, 1 },
  { "tcp-under-load", WS_TEST_TCP_STREAM, WS_DIRECTION_DOWNLOAD, 1, 1, .probe = TRUE },
  { "udp-under-load", WS_TEST_UDP_STREAM, WS_DIRECTION_UPLOAD, 1, 1, 20000000, .probe = TRUE },
  { "speed", WS_TEST_SPEED, WS_DIRECTION_BIDIR, 2, 1 },
  { "interrupted", WS_TEST_TCP_STREAM, WS_DIRECTION_BIDIR, 2, 3, .cancel_after_samples = 2 },
  { "interrupted-idle", WS_TEST_TCP_STREAM, WS_DIRECTION_UPLOAD, 1, 1, .probe = TRUE,
    .cancel_after_ms = 500 },
};

static WsResult *real_results[G_N_ELEMENTS (run_specs)];

static gboolean
cancel_now (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static WsResult *
run_one (WsServer      *server,
         const RunSpec *spec)
{
  WsTestConfig config;
  WsTestRun run = { 0 };
  WsResult *result;
  guint timer = 0;

  ws_test_config_for (&config, server, "127.0.0.1", spec->duration_s);
  config.interval_ms = 250;
  config.mode = spec->mode;
  config.direction = spec->direction;
  config.streams = spec->streams;
  config.latency_probe = spec->probe;
  if (spec->bitrate)
    config.bitrate = spec->bitrate;
  run.cancel_after_samples = spec->cancel_after_samples;
  run.cancellable = g_cancellable_new ();
  if (spec->cancel_after_ms)
    timer = g_timeout_add (spec->cancel_after_ms, cancel_now, run.cancellable);
  ws_test_run (&run, &config);
  if (timer && !g_cancellable_is_cancelled (run.cancellable))
    g_source_remove (timer);
  g_assert_no_error (run.error);
  result = g_steal_pointer (&run.result);
  ws_test_run_clear (&run);
  ws_test_config_clear (&config);
  return result;
}

/* Every mode once, shared by the tests below. */
static WsResult **
get_real_results (void)
{
  g_autoptr(WsServer) server = NULL;

  if (real_results[0] != NULL)
    return real_results;
  server = ws_test_server_new (4, 5);
  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      real_results[i] = run_one (server, &run_specs[i]);
      ws_test_wait_idle (server, 5);
    }
  /* The runs are what they claim to be, so the tests below test something. */
  g_assert_true (real_results[2]->upload.measured && real_results[2]->download.measured);
  g_assert_cmpuint (real_results[2]->stream_summaries->len, ==, 4);
  g_assert_cmpuint (real_results[3]->transactions, >, 100);
  g_assert_true (real_results[4]->upload.udp && real_results[4]->download.udp);
  g_assert_cmpuint (real_results[6]->loaded_latency.count, >, 0);
  g_assert_cmpuint (real_results[6]->idle_latency.count, >, 0);
  g_assert_cmpuint (real_results[8]->loaded_latency_upload.count, >, 0);
  g_assert_true (real_results[9]->interrupted);
  g_assert_true (real_results[10]->interrupted);
  g_assert_cmpuint (real_results[10]->idle_latency.count, >, 0);
  g_assert_false (real_results[10]->upload.measured);
  return real_results;
}

/* Round trips ------------------------------------------------------------ */

static void
assert_same_flow (const WsFlowStats *a,
                  gdouble            a_s,
                  const WsFlowStats *b,
                  gdouble            b_s)
{
  g_assert_cmpint (a->measured, ==, b->measured);
  /* A direction not tested is written as null, whatever it holds. */
  if (!a->measured)
    return;
  g_assert_cmpuint (a->sender_bytes, ==, b->sender_bytes);
  g_assert_cmpuint (a->receiver_bytes, ==, b->receiver_bytes);
  g_assert_cmpuint (a->retransmits, ==, b->retransmits);
  g_assert_cmpuint (a->snd_cwnd, ==, b->snd_cwnd);
  g_assert_cmpuint (a->rtt_us, ==, b->rtt_us);
  g_assert_cmpint (a->udp, ==, b->udp);
  g_assert_cmpuint (a->sender_packets, ==, b->sender_packets);
  g_assert_cmpuint (a->receiver_packets, ==, b->receiver_packets);
  g_assert_cmpuint (a->lost, ==, b->lost);
  g_assert_cmpuint (a->out_of_order, ==, b->out_of_order);
  g_assert_cmpuint (a->duplicates, ==, b->duplicates);
  g_assert_cmpfloat (a->jitter_ms, ==, b->jitter_ms);
  /* receiver_s is solved for: the rate it gives must be the same. */
  g_assert_cmpfloat (ws_flow_stats_bps (a, a_s), ==, ws_flow_stats_bps (b, b_s));
}

static void
assert_same_latency (const WsLatency *a,
                     const WsLatency *b)
{
  g_assert_cmpint (a->count != 0, ==, b->count != 0);
  g_assert_cmpfloat (a->p50, ==, b->p50);
  g_assert_cmpfloat (a->p999, ==, b->p999);
  g_assert_cmpfloat (a->stddev, ==, b->stddev);
}

static void
assert_same_samples (WsResult *a,
                     WsResult *b)
{
  g_assert_cmpuint (a->samples->len, ==, b->samples->len);
  for (guint i = 0; i < a->samples->len; i++)
    {
      const WsSample *x = &g_array_index (a->samples, WsSample, i);
      const WsSample *y = &g_array_index (b->samples, WsSample, i);
      gdouble span = x->end_s - x->start_s;

      g_assert_cmpuint (y->index, ==, i);
      g_assert_cmpfloat (x->start_s, ==, y->start_s);
      g_assert_cmpfloat (x->end_s, ==, y->end_s);
      assert_same_flow (&x->upload, span, &y->upload, span);
      assert_same_flow (&x->download, span, &y->download, span);
      if (ws_test_mode_is_rr (a->mode))
        {
          g_assert_cmpuint (x->transactions, ==, y->transactions);
          g_assert_cmpuint (x->rr_lost, ==, y->rr_lost);
          assert_same_latency (&x->latency, &y->latency);
          g_assert_cmpfloat (x->rtt_jitter_ms, ==, y->rtt_jitter_ms);
        }
      else
        {
          g_assert_cmpint (x->probe.count != 0, ==, y->probe.count != 0);
          g_assert_cmpfloat (x->probe.p50, ==, y->probe.p50);
        }
    }
}

static void
assert_same_streams (WsResult *a,
                     WsResult *b)
{
  g_assert_cmpuint (a->stream_summaries->len, ==, b->stream_summaries->len);
  for (guint i = 0; i < a->stream_summaries->len; i++)
    {
      const WsStreamSummary *x = &g_array_index (a->stream_summaries, WsStreamSummary, i);
      const WsStreamSummary *y = &g_array_index (b->stream_summaries, WsStreamSummary, i);

      g_assert_cmpuint (x->id, ==, y->id);
      g_assert_cmpint (x->direction, ==, y->direction);
      g_assert_cmpfloat (x->duration_s, ==, y->duration_s);
      assert_same_flow (&x->flow, x->duration_s, &y->flow, y->duration_s);
    }
}

/* What the struct says, field by field, beside the text being equal. */
static void
assert_same_result (WsResult *a,
                    WsResult *b)
{
  g_assert_cmpint (a->mode, ==, b->mode);
  g_assert_cmpint (a->direction, ==, b->direction);
  g_assert_cmpstr (a->target, ==, b->target);
  g_assert_cmpstr (a->remote_address, ==, b->remote_address);
  g_assert_cmpstr (a->local_address, ==, b->local_address);
  g_assert_cmpstr (a->client_address, ==, b->client_address);
  g_assert_cmpint (a->server_tests, ==, b->server_tests);
  g_assert_cmpuint (a->port, ==, b->port);
  g_assert_cmpuint (a->streams, ==, b->streams);
  g_assert_cmpuint (a->duration_s, ==, b->duration_s);
  g_assert_cmpfloat (a->interval_s, ==, b->interval_s);
  g_assert_cmpuint (a->length, ==, b->length);
  g_assert_cmpuint (a->protocol_version, ==, b->protocol_version);
  g_assert_true ((a->start_time == NULL) == (b->start_time == NULL));
  if (a->start_time != NULL)
    g_assert_true (g_date_time_equal (a->start_time, b->start_time));
  g_assert_cmpfloat (a->elapsed_s, ==, b->elapsed_s);
  g_assert_cmpint (a->interrupted, ==, b->interrupted);
  assert_same_flow (&a->upload, a->upload_s, &b->upload, b->upload_s);
  assert_same_flow (&a->download, a->download_s, &b->download, b->download_s);
  if (a->upload.measured && a->upload.sender_bytes)
    g_assert_cmpfloat_with_epsilon (a->upload_s, b->upload_s, a->upload_s * 1e-12);
  if (a->download.measured && a->download.sender_bytes)
    g_assert_cmpfloat_with_epsilon (a->download_s, b->download_s, a->download_s * 1e-12);
  if (ws_test_mode_is_rr (a->mode))
    {
      g_assert_cmpuint (a->transactions, ==, b->transactions);
      g_assert_cmpuint (a->requests_sent, ==, b->requests_sent);
      g_assert_cmpuint (a->rr_lost, ==, b->rr_lost);
      assert_same_latency (&a->latency, &b->latency);
      g_assert_cmpfloat (a->rtt_jitter_ms, ==, b->rtt_jitter_ms);
    }
  else
    {
      assert_same_latency (&a->idle_latency, &b->idle_latency);
      assert_same_latency (&a->loaded_latency, &b->loaded_latency);
      g_assert_cmpuint (a->probe_sent != 0, ==, b->probe_sent != 0);
      if (a->probe_sent)
        g_assert_cmpfloat ((gdouble) a->probe_lost / a->probe_sent, ==,
                           (gdouble) b->probe_lost / b->probe_sent);
    }
  if (a->mode == WS_TEST_SPEED)
    {
      assert_same_latency (&a->loaded_latency_download, &b->loaded_latency_download);
      assert_same_latency (&a->loaded_latency_upload, &b->loaded_latency_upload);
    }
  assert_same_samples (a, b);
  assert_same_streams (a, b);
}

/* to_json (from_json (to_json (r))) == to_json (r), through the string
 * reader and the node reader. */
static WsResult *
assert_round_trip (WsResult *r)
{
  g_autofree char *json = ws_result_to_json_string (r);
  g_autoptr(JsonNode) node = ws_result_to_json (r);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) back = ws_result_new_from_json_string (json, &error);
  g_autoptr(WsResult) from_node = NULL;
  g_autofree char *again = NULL;
  g_autofree char *again_node = NULL;

  g_assert_no_error (error);
  again = ws_result_to_json_string (back);
  g_assert_cmpstr (again, ==, json);
  from_node = ws_result_new_from_json (node, &error);
  g_assert_no_error (error);
  again_node = ws_result_to_json_string (from_node);
  g_assert_cmpstr (again_node, ==, json);
  assert_same_result (r, back);
  return g_steal_pointer (&back);
}

static void
test_round_trip_real (void)
{
  WsResult **results = get_real_results ();

  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      g_autoptr(WsResult) back = NULL;

      g_test_message ("%s", run_specs[i].name);
      back = assert_round_trip (results[i]);
      /* Latency counts are not written; request/response's is known. */
      if (ws_test_mode_is_rr (results[i]->mode))
        g_assert_cmpuint (back->latency.count, ==, results[i]->latency.count);
      g_assert_cmpuint (back->probe_lost, ==, results[i]->probe_lost);
    }
}

/* Synthetic results ------------------------------------------------------ */

static const WsTestMode modes[] = {
  WS_TEST_TCP_STREAM, WS_TEST_TCP_RR, WS_TEST_UDP_STREAM, WS_TEST_UDP_RR, WS_TEST_SPEED,
};

static void
random_flow (GRand       *rand,
             WsFlowStats *f,
             gboolean     udp,
             gdouble      span)
{
  memset (f, 0, sizeof *f);
  if (g_rand_int_range (rand, 0, 5) == 0)
    return;
  f->measured = TRUE;
  f->sender_bytes = g_rand_int_range (rand, 0, 4) == 0 ? 0 : (guint64) g_rand_double_range (rand, 0, 1e13);
  f->receiver_bytes = g_rand_int_range (rand, 0, 4) == 0 ? 0 : (guint64) g_rand_double_range (rand, 0, 1e13);
  f->retransmits = g_rand_int (rand);
  f->snd_cwnd = g_rand_int (rand);
  f->rtt_us = g_rand_int_range (rand, 0, 3) == 0 ? 0 : g_rand_int (rand);
  if (g_rand_boolean (rand))
    f->receiver_s = span * g_rand_double_range (rand, 0.9, 1.5);
  f->udp = udp;
  if (!udp)
    return;
  f->sender_packets = g_rand_int (rand);
  f->receiver_packets = g_rand_int (rand);
  f->lost = g_rand_int_range (rand, 0, 1000);
  f->out_of_order = g_rand_int_range (rand, 0, 1000);
  f->duplicates = g_rand_int_range (rand, 0, 10);
  f->jitter_ms = g_rand_double_range (rand, 0, 5);
}

static void
random_latency (GRand     *rand,
                WsLatency *l)
{
  memset (l, 0, sizeof *l);
  if (g_rand_int_range (rand, 0, 4) == 0)
    return;
  l->count = g_rand_int_range (rand, 1, 100000);
  l->min = g_rand_double_range (rand, 0.001, 1);
  l->mean = g_rand_double_range (rand, 0.001, 10);
  l->p50 = g_rand_double_range (rand, 0.001, 10);
  l->p90 = g_rand_double_range (rand, 0.001, 20);
  l->p99 = g_rand_double_range (rand, 0.001, 50);
  l->p999 = g_rand_double_range (rand, 0.001, 100);
  l->max = g_rand_double_range (rand, 0.001, 1000);
  l->stddev = g_rand_double_range (rand, 0, 3);
}

static void
random_samples (GRand    *rand,
                WsResult *r)
{
  guint n = g_rand_int_range (rand, 0, 6);
  gboolean udp = r->mode == WS_TEST_UDP_STREAM;

  for (guint i = 0; i < n; i++)
    {
      WsSample s = { .index = i };

      s.start_s = i * r->interval_s;
      s.end_s = MIN ((i + 1) * r->interval_s, r->elapsed_s);
      random_flow (rand, &s.upload, udp, s.end_s - s.start_s);
      random_flow (rand, &s.download, udp, s.end_s - s.start_s);
      s.transactions = g_rand_int (rand);
      s.rr_lost = g_rand_int_range (rand, 0, 100);
      random_latency (rand, &s.latency);
      if (s.latency.count)
        s.latency.count = s.transactions + 1;
      s.rtt_jitter_ms = g_rand_double_range (rand, 0, 2);
      if (g_rand_boolean (rand))
        s.probe.count = 1, s.probe.p50 = g_rand_double_range (rand, 0.001, 30);
      ws_result_add_sample (r, &s);
    }
}

static void
random_streams (GRand    *rand,
                WsResult *r)
{
  guint n = g_rand_int_range (rand, 0, 5);

  for (guint i = 0; i < n; i++)
    {
      WsStreamSummary st = { .id = i };

      st.direction = g_rand_int_range (rand, 0, 2);
      st.duration_s = g_rand_double_range (rand, 0.1, 30);
      random_flow (rand, &st.flow, r->mode == WS_TEST_UDP_STREAM, st.duration_s);
      g_array_append_val (r->stream_summaries, st);
    }
}

static void
random_header (GRand    *rand,
               WsResult *r)
{
  static const char *targets[] = { NULL, "127.0.0.1", "::1", "host,with \"quotes\"", "héllo ✓" };
  g_autoptr(GDateTime) epoch = g_date_time_new_from_unix_utc (1700000000);

  r->mode = modes[g_rand_int_range (rand, 0, G_N_ELEMENTS (modes))];
  r->direction = g_rand_int_range (rand, 0, 3);
  r->target = g_strdup (targets[g_rand_int_range (rand, 0, G_N_ELEMENTS (targets))]);
  r->remote_address = g_rand_boolean (rand) ? g_strdup ("10.0.0.1") : NULL;
  r->local_address = g_rand_boolean (rand) ? g_strdup ("10.0.0.2:40000") : NULL;
  r->client_address = g_rand_boolean (rand) ? g_strdup ("[2001:db8::7]:5201") : NULL;
  r->server_tests = g_rand_boolean (rand) ? g_rand_int_range (rand, 0, G_MAXINT) : -1;
  r->port = g_rand_int_range (rand, 1, 65536);
  r->streams = g_rand_int_range (rand, 1, 129);
  r->duration_s = g_rand_int_range (rand, 1, 3600);
  r->interval_s = g_rand_double_range (rand, 0.1, 2);
  r->length = g_rand_int (rand);
  r->rr_request_size = g_rand_int (rand);
  r->rr_response_size = g_rand_int (rand);
  if (g_rand_int_range (rand, 0, 8) != 0)
    r->start_time = g_date_time_add (epoch, (gint64) g_rand_double_range (rand, 0, 1e15));
  r->protocol_version = g_rand_int_range (rand, 1, 3);
  r->elapsed_s = g_rand_boolean (rand) ? r->duration_s : g_rand_double_range (rand, 0, r->duration_s);
  r->interrupted = g_rand_boolean (rand);
}

static WsResult *
random_result (GRand *rand)
{
  WsResult *r = ws_result_new ();
  gboolean udp;

  random_header (rand, r);
  udp = r->mode == WS_TEST_UDP_STREAM;
  r->upload_s = g_rand_boolean (rand) ? r->elapsed_s : g_rand_double_range (rand, 0, 40);
  r->download_s = g_rand_boolean (rand) ? r->elapsed_s : g_rand_double_range (rand, 0, 40);
  random_flow (rand, &r->upload, udp, r->upload_s);
  random_flow (rand, &r->download, udp, r->download_s);
  r->transactions = g_rand_int (rand);
  r->rr_lost = g_rand_int_range (rand, 0, 1000);
  r->requests_sent = r->transactions + r->rr_lost;
  random_latency (rand, &r->latency);
  if (r->latency.count)
    r->latency.count = r->transactions + 1;
  r->rtt_jitter_ms = g_rand_double_range (rand, 0, 3);
  random_latency (rand, &r->idle_latency);
  random_latency (rand, &r->loaded_latency);
  random_latency (rand, &r->loaded_latency_download);
  random_latency (rand, &r->loaded_latency_upload);
  r->probe_sent = g_rand_int_range (rand, 0, 20000);
  r->probe_lost = r->probe_sent ? g_rand_int_range (rand, 0, r->probe_sent + 1) : 0;
  random_samples (rand, r);
  random_streams (rand, r);
  return r;
}

static void
test_round_trip_synthetic (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (0x4157);

  for (guint i = 0; i < 2000; i++)
    {
      g_autoptr(WsResult) r = random_result (rand);
      g_autoptr(WsResult) back = assert_round_trip (r);

      /* Exactly the counts, which the writer reduces to a ratio. */
      if (r->probe_sent && r->probe_lost == 0)
        g_assert_cmpuint (back->probe_lost, ==, 0);
    }
}

/* Hostile JSON ------------------------------------------------------------ */

static void
assert_invalid (const char *json,
                const char *expect_in_message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) r = ws_result_new_from_json_string (json, &error);

  g_assert_null (r);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  if (expect_in_message != NULL && strstr (error->message, expect_in_message) == NULL)
    g_error ("“%s” not in “%s”", expect_in_message, error->message);
}

static WsResult *
assert_valid (const char *json)
{
  g_autoptr(GError) error = NULL;
  WsResult *r = ws_result_new_from_json_string (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (r);
  return r;
}

static void
test_hostile_cases (void)
{
  g_autoptr(WsResult) bare = NULL;
  g_autoptr(WsResult) whole = NULL;
  g_autoptr(WsResult) one = NULL;
  g_autofree char *deep = NULL;

  assert_invalid ("", NULL);
  assert_invalid ("null", "not a JSON object");
  assert_invalid ("[]", "not a JSON object");
  assert_invalid ("{}", "“test” is missing");
  assert_invalid ("{\"test\": \"FOO_STREAM\"}", "unknown test “FOO_STREAM”");
  assert_invalid ("{\"test\": \"UNKNOWN\"}", "unknown test");
  assert_invalid ("{\"test\": 42}", "“test” is not a string");
  assert_invalid ("{\"test\": \"TCP_RR\", \"port\": 70000}", "“port”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"port\": -1}", "“port”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"port\": 5201.5}", "“port”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"streams\": 99999999999999999999999}", "“streams”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"streams\": 1e300}", "“streams”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"elapsed_s\": 1e999}", "“elapsed_s”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"elapsed_s\": 1e-300}", "“elapsed_s”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"elapsed_s\": \"10\"}", "“elapsed_s” is not a number");
  assert_invalid ("{\"test\": \"TCP_RR\", \"elapsed_s\": [1]}", "“elapsed_s”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"interrupted\": 1}", "“interrupted”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"start_time\": \"yesterday\"}", "“start_time”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"direction\": \"sideways\"}", "“direction”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"intervals\": {}}", "“intervals” is not an array");
  assert_invalid ("{\"test\": \"TCP_RR\", \"intervals\": [1]}", "“intervals” holds");
  assert_invalid ("{\"test\": \"TCP_RR\", \"stream_results\": [{\"flow\": 3}]}", "“flow”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"summary\": []}", "“summary”");
  assert_invalid ("{\"test\": \"TCP_STREAM\", \"summary\": {\"probe_loss_percent\": 150}}",
                  "“probe_loss_percent”");
  assert_invalid ("{\"test\": \"TCP_STREAM\", \"summary\": {\"upload\": {\"rtt_ms\": -1}}}",
                  "“rtt_ms”");
  assert_invalid ("{\"test\": \"TCP_STREAM\", \"summary\": {\"upload\": {\"sender_bytes\": -5}}}",
                  "“sender_bytes”");
  assert_invalid ("{\"test\": \"TCP_STREAM\", \"summary\": {\"loaded_latency_ms\": {\"p50\": 1e-320}}}",
                  "“p50”");
  assert_invalid ("{\"test\": \"TCP_STREAM\", \"test\": \"TCP_STREAM\",", NULL);
  assert_invalid ("\xff\xfe{\"test\": \"TCP_STREAM\"}", NULL);
  /* An escape JSON does not have, which json-glib's scanner turns into a
   * byte that is not UTF-8 in a value (in a name, and a lone surrogate
   * anywhere, it refuses itself). */
  assert_invalid ("{\"test\": \"TCP_RR\", \"target\": \"a\\600b\"}", "not UTF-8");
  assert_invalid ("{\"test\": \"TCP_RR\", \"target\": \"\\ud800\"}", NULL);
  assert_invalid ("{\"test\": \"TCP_RR\", \"a\\600\": 1}", NULL);
  /* json-glib's parser recurses once a level: this would overflow the stack. */
  deep = g_strnfill (200000, '[');
  assert_invalid (deep, "nested too deeply");
  /* 64 levels are allowed, 65 are not. */
  {
    g_autofree char *in = g_strnfill (63, '[');
    g_autofree char *out = g_strnfill (63, ']');
    g_autofree char *at = g_strdup_printf ("{\"test\": \"TCP_RR\", \"x\": %s%s}", in, out);
    g_autofree char *over = g_strdup_printf ("{\"test\": \"TCP_RR\", \"x\": [%s%s]}", in, out);
    g_autoptr(WsResult) deepest = assert_valid (at);

    assert_invalid (over, "nested too deeply");
  }

  /* Missing members take defaults. */
  bare = assert_valid ("{\"test\": \"tcp_stream\"}");
  g_assert_cmpint (bare->mode, ==, WS_TEST_TCP_STREAM);
  g_assert_null (bare->target);
  g_assert_null (bare->start_time);
  g_assert_cmpuint (bare->streams, ==, 0);
  g_assert_cmpuint (bare->protocol_version, ==, WS_PROTOCOL_V2);
  g_assert_false (bare->upload.measured);
  g_assert_cmpuint (bare->samples->len, ==, 0);
  g_free (ws_result_to_json_string (bare));

  whole = assert_valid ("{\"test\": \"UDP_RR\", \"port\": 5201.0, \"target\": null,"
                        " \"intervals\": [{}, {\"latency_ms\": null}], \"summary\": {}}");
  g_assert_cmpuint (whole->port, ==, 5201);
  g_assert_cmpuint (whole->samples->len, ==, 2);
  g_assert_cmpuint (g_array_index (whole->samples, WsSample, 1).index, ==, 1);

  /* A string that only looks like nesting is not nesting. */
  one = assert_valid ("{\"test\": \"TCP_RR\", \"target\": \"[[[[{{{{\\\"[[[\"}");
  g_assert_cmpstr (one->target, ==, "[[[[{{{{\"[[[");
}

/* Results stored before the addresses existed, or against a server that
 * did not say, read back without them; others keep them, in the one form
 * the writer uses. */
static void
test_addresses (void)
{
  g_autoptr(WsResult) old = assert_valid ("{\"test\": \"TCP_STREAM\", \"remote_address\": \"::1\"}");
  g_autoptr(WsResult) none = assert_valid ("{\"test\": \"TCP_STREAM\", \"local_address\": null,"
                                           " \"client_address\": null}");
  g_autoptr(WsResult) nat = assert_valid ("{\"test\": \"TCP_RR\", \"local_address\": \"10.0.0.2:40000\","
                                          " \"client_address\": \"198.51.100.7:40000\"}");
  g_autoptr(WsResult) v6 = assert_valid ("{\"test\": \"TCP_RR\", \"local_address\": \"[::1]:5\","
                                         " \"client_address\": \"[::1]:5\"}");
  g_autofree char *json = ws_result_to_json_string (old);

  g_assert_null (old->local_address);
  g_assert_null (old->client_address);
  g_assert_false (ws_result_address_translated (old));
  /* Written again, they are there, as null. */
  g_assert_nonnull (strstr (json, "\"local_address\" : null"));
  g_assert_nonnull (strstr (json, "\"client_address\" : null"));
  g_assert_null (none->client_address);
  g_assert_cmpstr (nat->local_address, ==, "10.0.0.2:40000");
  g_assert_cmpstr (nat->client_address, ==, "198.51.100.7:40000");
  g_assert_true (ws_result_address_translated (nat));
  g_assert_false (ws_result_address_translated (v6));
  ws_result_unref (assert_round_trip (nat));

  assert_invalid ("{\"test\": \"TCP_RR\", \"client_address\": 5201}", "“client_address” is not a string");
  assert_invalid ("{\"test\": \"TCP_RR\", \"client_address\": \"198.51.100.7\"}", "“client_address”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"client_address\": \"::1:80\"}", "“client_address”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"local_address\": \"[::ffff:10.0.0.2]:80\"}",
                  "“local_address”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"local_address\": \"10.0.0.2:80\\u001b[2J\"}",
                  "“local_address”");
}

/* The server's other tests: unknown (-1) in older results and where the
 * server did not say, and never mistaken for 0, which is a count. */
static void
test_server_tests (void)
{
  g_autoptr(WsResult) old = assert_valid ("{\"test\": \"TCP_STREAM\"}");
  g_autoptr(WsResult) unknown = assert_valid ("{\"test\": \"TCP_STREAM\", \"server_tests\": null}");
  g_autoptr(WsResult) idle = assert_valid ("{\"test\": \"TCP_STREAM\", \"server_tests\": 0}");
  g_autoptr(WsResult) busy = assert_valid ("{\"test\": \"UDP_RR\", \"server_tests\": 2147483647}");
  g_autofree char *old_json = ws_result_to_json_string (old);
  g_autofree char *idle_json = ws_result_to_json_string (idle);

  g_assert_cmpint (old->server_tests, ==, -1);
  g_assert_cmpint (unknown->server_tests, ==, -1);
  g_assert_cmpint (idle->server_tests, ==, 0);
  g_assert_cmpint (busy->server_tests, ==, G_MAXINT);
  g_assert_nonnull (strstr (old_json, "\"server_tests\" : null"));
  g_assert_nonnull (strstr (idle_json, "\"server_tests\" : 0,"));
  ws_result_unref (assert_round_trip (busy));

  assert_invalid ("{\"test\": \"TCP_RR\", \"server_tests\": -1}", "“server_tests”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"server_tests\": 2147483648}", "“server_tests”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"server_tests\": 1.5}", "“server_tests”");
  assert_invalid ("{\"test\": \"TCP_RR\", \"server_tests\": \"3\"}", "“server_tests”");
}

static void
test_hostile_truncated (void)
{
  WsResult **results = get_real_results ();

  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      g_autofree char *json = ws_result_to_json_string (results[i]);
      gsize len = strlen (json);

      for (gsize cut = 0; cut < len; cut += 1 + len / 300)
        {
          g_autofree char *part = g_strndup (json, cut);

          assert_invalid (part, NULL);
        }
    }
}

/* Where to mutate: every member of every object, but of long arrays only
 * the first and the last element. */
static void
collect_members (JsonNode  *node,
                 GPtrArray *objects,
                 GPtrArray *names)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      if (n > 0)
        collect_members (json_array_get_element (array, 0), objects, names);
      if (n > 1)
        collect_members (json_array_get_element (array, n - 1), objects, names);
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (o);

      /* Copies: removing a member frees its name. */
      for (GList *l = members; l != NULL; l = l->next)
        {
          g_ptr_array_add (objects, o);
          g_ptr_array_add (names, g_strdup (l->data));
          collect_members (json_object_get_member (o, l->data), objects, names);
        }
    }
}

/* Anything the reader accepts, the writer writes as JSON that reads back
 * to the same text. */
static void
check_mutant (JsonNode *root)
{
  g_autofree char *json = json_to_string (root, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) r = ws_result_new_from_json_string (json, &error);
  g_autofree char *written = NULL;
  g_autoptr(WsResult) again = NULL;
  g_autofree char *rewritten = NULL;

  if (r == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      return;
    }
  written = ws_result_to_json_string (r);
  again = ws_result_new_from_json_string (written, &error);
  g_assert_no_error (error);
  rewritten = ws_result_to_json_string (again);
  g_assert_cmpstr (rewritten, ==, written);
}

static void
mutate_member (JsonNode   *root,
               JsonObject *o,
               const char *name,
               JsonNode  **values,
               guint       n_values)
{
  g_autoptr(JsonNode) original = json_object_dup_member (o, name);

  for (guint i = 0; i < n_values; i++)
    {
      json_object_set_member (o, name, json_node_copy (values[i]));
      check_mutant (root);
    }
  json_object_remove_member (o, name);
  check_mutant (root);
  json_object_set_member (o, name, g_steal_pointer (&original));
}

/* A copy with at most two intervals and two streams: the mutations cover
 * every kind of member without parsing every interval of every test. */
static WsResult *
trimmed (WsResult *r)
{
  g_autofree char *json = ws_result_to_json_string (r);
  WsResult *copy = ws_result_new_from_json_string (json, NULL);

  g_assert_nonnull (copy);
  if (copy->samples->len > 2)
    g_array_remove_range (copy->samples, 1, copy->samples->len - 2);
  if (copy->stream_summaries->len > 2)
    g_array_set_size (copy->stream_summaries, 2);
  return copy;
}

static void
test_hostile_mutations (void)
{
  static const char *hostile[] = {
    "\"x\"", "true", "[]", "{}", "-1", "1.5", "4294967296", "1e308", "1e-308",
    "18446744073709551616", "null",
  };
  WsResult **results = get_real_results ();
  JsonNode *values[G_N_ELEMENTS (hostile)];
  guint n_checked = 0;

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    values[i] = json_from_string (hostile[i], NULL);
  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      g_autoptr(WsResult) small = trimmed (results[i]);
      g_autoptr(JsonNode) root = ws_result_to_json (small);
      g_autoptr(GPtrArray) objects = g_ptr_array_new ();
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *before = json_to_string (root, FALSE);
      g_autofree char *after = NULL;

      collect_members (root, objects, names);
      for (guint p = 0; p < objects->len; p++)
        mutate_member (root, objects->pdata[p], names->pdata[p], values, G_N_ELEMENTS (values));
      n_checked += objects->len;
      /* Every mutation was undone: the walk itself changed nothing. */
      after = json_to_string (root, FALSE);
      g_assert_cmpuint (strlen (after), ==, strlen (before));
    }
  g_test_message ("%u members mutated %zu ways each", n_checked, G_N_ELEMENTS (hostile) + 1);
  g_assert_cmpuint (n_checked, >, 500);
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    json_node_unref (values[i]);
}

/* The store ---------------------------------------------------------------- */

typedef struct {
  char *dir;
  char *path;
  WsHistory *history;
  guint changed;
} Store;

static GThread *main_thread;

static void
on_changed (WsHistory *history,
            Store     *store)
{
  /* Never from a worker, even for the async calls. */
  g_assert_true (g_thread_self () == main_thread);
  store->changed++;
}

static void
store_setup (Store        *store,
             gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  store->dir = g_dir_make_tmp ("wirespeed-history-XXXXXX", &error);
  g_assert_no_error (error);
  /* Parents that do not exist yet are made. */
  store->path = g_build_filename (store->dir, "a", "b", "history.db", NULL);
  store->history = ws_history_open (store->path, &error);
  g_assert_no_error (error);
  g_signal_connect (store->history, "changed", G_CALLBACK (on_changed), store);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
store_teardown (Store        *store,
                gconstpointer data)
{
  if (store->history != NULL)
    g_assert_finalize_object (store->history);
  remove_tree (store->dir);
  g_free (store->path);
  g_free (store->dir);
}

static gint64
unix_usec (GDateTime *t)
{
  return g_date_time_to_unix (t) * G_USEC_PER_SEC + g_date_time_get_microsecond (t);
}

/* The headline numbers straight from the struct, not from its JSON. */
static gdouble
expected_bps (const WsFlowStats *flow,
              gdouble            seconds)
{
  return flow->measured ? ws_flow_stats_bps (flow, seconds) : NAN;
}

static gdouble
expected_latency (WsResult *r)
{
  if (ws_test_mode_is_rr (r->mode))
    return r->latency.count ? r->latency.p50 : NAN;
  if (r->loaded_latency.count)
    return r->loaded_latency.p50;
  return r->idle_latency.count ? r->idle_latency.p50 : NAN;
}

static void
assert_same_number (gdouble expected,
                    gdouble actual)
{
  if (isnan (expected))
    g_assert_true (isnan (actual));
  else
    g_assert_cmpfloat (actual, ==, expected);
}

static void
assert_entry (const WsHistoryEntry *e,
              gint64                id,
              WsResult             *r)
{
  g_assert_cmpint (e->id, ==, id);
  g_assert_cmpint (unix_usec (e->start_time), ==, unix_usec (r->start_time));
  g_assert_cmpstr (e->target, ==, r->target);
  g_assert_cmpuint (e->port, ==, r->port);
  g_assert_cmpint (e->mode, ==, r->mode);
  g_assert_cmpint (e->direction, ==, r->direction);
  g_assert_cmpuint (e->streams, ==, r->streams);
  g_assert_cmpuint (e->duration_s, ==, r->duration_s);
  g_assert_cmpfloat (e->elapsed_s, ==, r->elapsed_s);
  g_assert_cmpint (e->interrupted, ==, r->interrupted);
  assert_same_number (expected_bps (&r->upload, r->upload_s), e->upload_bps);
  assert_same_number (expected_bps (&r->download, r->download_s), e->download_bps);
  assert_same_number (expected_latency (r), e->latency_ms);
  g_assert_cmpfloat (e->rpm, ==, ws_result_rpm (r));
}

static gint64 *
add_real (Store *store)
{
  WsResult **results = get_real_results ();
  gint64 *ids = g_new0 (gint64, G_N_ELEMENTS (run_specs));
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      ids[i] = ws_history_add (store->history, results[i], &error);
      g_assert_no_error (error);
      g_assert_cmpint (ids[i], >, 0);
    }
  g_assert_cmpuint (store->changed, ==, G_N_ELEMENTS (run_specs));
  return ids;
}

static void
assert_list (WsHistory *history,
             gint64    *ids,
             gboolean  *gone)
{
  WsResult **results = get_real_results ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ws_history_list (history, &error);
  guint at = 0;

  g_assert_no_error (error);
  /* Newest first; the runs were one after another. */
  for (gint i = G_N_ELEMENTS (run_specs) - 1; i >= 0; i--)
    {
      if (gone != NULL && gone[i])
        continue;
      g_assert_cmpuint (at, <, list->len);
      assert_entry (list->pdata[at++], ids[i], results[i]);
    }
  g_assert_cmpuint (at, ==, list->len);
}

static void
test_store (Store        *store,
            gconstpointer data)
{
  WsResult **results = get_real_results ();
  g_autofree gint64 *ids = add_real (store);
  gboolean gone[G_N_ELEMENTS (run_specs)] = { FALSE };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autofree char *dir = g_path_get_dirname (store->path);
  GStatBuf st;

  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
  assert_list (store->history, ids, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      g_autoptr(WsResult) got = ws_history_get (store->history, ids[i], &error);
      g_autofree char *want = ws_result_to_json_string (results[i]);
      g_autofree char *have = NULL;

      g_assert_no_error (error);
      have = ws_result_to_json_string (got);
      g_assert_cmpstr (have, ==, want);
    }

  /* Delete one: gone from the list and from get, and twice is an error. */
  g_assert_true (ws_history_delete (store->history, ids[3], &error));
  g_assert_no_error (error);
  gone[3] = TRUE;
  assert_list (store->history, ids, gone);
  g_assert_null (ws_history_get (store->history, ids[3], &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (ws_history_delete (store->history, ids[3], &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* It is all on disk: another handle sees the same. */
  g_assert_finalize_object (g_steal_pointer (&store->history));
  store->history = ws_history_open (store->path, &error);
  g_assert_no_error (error);
  assert_list (store->history, ids, gone);

  g_assert_true (ws_history_clear (store->history, &error));
  g_assert_no_error (error);
  list = ws_history_list (store->history, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

static void
test_order (Store        *store,
            gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(WsResult) r = random_result (rand);

      ws_history_add (store->history, r, &error);
      g_assert_no_error (error);
    }
  list = ws_history_list (store->history, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 200);
  for (guint i = 1; i < list->len; i++)
    {
      const WsHistoryEntry *a = list->pdata[i - 1], *b = list->pdata[i];
      gint64 ta = unix_usec (a->start_time), tb = unix_usec (b->start_time);

      g_assert_true (ta > tb || (ta == tb && a->id > b->id));
      g_assert_nonnull (a->target);
    }
}

/* A few thousand rows list quickly: the list never reads the JSON. */
static void
test_many (Store        *store,
           gconstpointer data)
{
  g_autofree gint64 *ids = add_real (store);
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  g_assert_cmpint (sqlite3_open (store->path, &db), ==, SQLITE_OK);
  for (guint i = 0; i < 8; i++)
    g_assert_cmpint (sqlite3_exec (db,
                                   "INSERT INTO results (start_time, target, port, mode,"
                                   " direction, streams, duration_s, elapsed_s, interrupted,"
                                   " upload_bps, download_bps, latency_ms, rpm, json)"
                                   " SELECT start_time, target, port, mode, direction,"
                                   " streams, duration_s, elapsed_s, interrupted, upload_bps,"
                                   " download_bps, latency_ms, rpm, json FROM results",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
  start = g_get_monotonic_time ();
  list = ws_history_list (store->history, &error);
  g_assert_no_error (error);
  g_test_message ("listed %u rows in %.1f ms", list->len,
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (run_specs) << 8);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
}

/* An hour of 100 ms intervals, four levels deep all along: kept and read
 * back whole (the depth check once counted every new deepest level twice,
 * and refused any result of more than about 60 intervals). */
static void
test_long (Store        *store,
           gconstpointer data)
{
  g_autoptr(WsResult) r = ws_result_new ();
  g_autoptr(WsResult) back = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  r->target = g_strdup ("example.org");
  r->mode = WS_TEST_TCP_STREAM;
  r->interval_s = 0.1;
  r->duration_s = 3600;
  r->elapsed_s = r->upload_s = 3600;
  r->start_time = g_date_time_new_now_utc ();
  r->upload.measured = TRUE;
  for (guint i = 0; i < 36000; i++)
    {
      WsSample s = { .index = i, .start_s = i * 0.1, .end_s = (i + 1) * 0.1 };

      s.upload.measured = TRUE;
      s.upload.receiver_bytes = 1000 + i;
      ws_result_add_sample (r, &s);
    }
  id = ws_history_add (store->history, r, &error);
  g_assert_no_error (error);
  back = ws_history_get (store->history, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->samples->len, ==, 36000);
  g_assert_cmpuint (g_array_index (back->samples, WsSample, 35999).upload.receiver_bytes, ==, 36999);
}

/* Exports ---------------------------------------------------------------- */

/* RFC 4180, strictly: CRLF after every record. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  GPtrArray *row = g_ptr_array_new_with_free_func (g_free);
  GString *field = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      if (*p == '"')
        {
          for (p++; !(*p == '"' && p[1] != '"'); p++)
            {
              g_assert_cmpint (*p, !=, '\0');
              if (*p == '"')
                p++;
              g_string_append_c (field, *p);
            }
          p++;
          g_assert_true (*p == ',' || *p == '\r');
        }
      else if (*p == ',' || *p == '\r')
        {
          g_ptr_array_add (row, g_string_free (field, FALSE));
          field = g_string_new (NULL);
          if (*p == '\r')
            {
              g_assert_cmpint (p[1], ==, '\n');
              g_ptr_array_add (rows, row);
              row = g_ptr_array_new_with_free_func (g_free);
              p++;
            }
          p++;
        }
      else
        {
          g_assert_cmpint (*p, !=, '\n');
          g_string_append_c (field, *p++);
        }
    }
  g_assert_cmpuint (row->len, ==, 0);
  g_assert_cmpuint (field->len, ==, 0);
  g_ptr_array_unref (row);
  g_string_free (field, TRUE);
  return rows;
}

static const char *csv_header[] = {
  "id", "start_time", "target", "port", "test", "direction", "streams", "duration_s",
  "elapsed_s", "interrupted", "upload_bps", "download_bps", "retransmits", "loss_percent",
  "jitter_ms", "latency_ms", "idle_latency_ms", "loaded_latency_ms", "transactions_per_s",
  "rpm",
};

/* A cell written with "%.6f" is off by up to half its last digit, 5e-7, and
 * by the double's own error on top: 1.0000315 s was written 1.000031, a
 * hair more than 5e-7 away. @tolerance is for what the format does not
 * explain; the rounding is added here. */
static void
assert_cell (const char *cell,
             gdouble     expected,
             gdouble     tolerance)
{
  if (isnan (expected))
    {
      g_assert_cmpstr (cell, ==, "");
      return;
    }
  g_assert_cmpstr (cell, !=, "");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (cell, NULL), expected, tolerance + 1e-9 * MAX (1, fabs (expected)));
}

static gdouble
expected_loss (WsResult *r)
{
  WsFlowStats sum = { 0 };

  if (ws_test_mode_is_rr (r->mode))
    return r->transactions + r->rr_lost ? 100.0 * r->rr_lost / (r->transactions + r->rr_lost) : 0;
  ws_flow_stats_add (&sum, &r->upload);
  ws_flow_stats_add (&sum, &r->download);
  return sum.udp ? ws_flow_stats_loss_percent (&sum) : NAN;
}

static gdouble
expected_jitter (WsResult *r)
{
  if (ws_test_mode_is_rr (r->mode))
    return r->rtt_jitter_ms;
  if (r->upload.udp || r->download.udp)
    return MAX (r->upload.jitter_ms, r->download.jitter_ms);
  return r->loaded_latency.count ? r->rtt_jitter_ms : NAN;
}

static void
assert_csv_numbers (GPtrArray *row,
                    WsResult  *r)
{
  gboolean rr = ws_test_mode_is_rr (r->mode);
  gboolean tcp_load = r->mode == WS_TEST_TCP_STREAM || r->mode == WS_TEST_SPEED;

  assert_cell (row->pdata[8], r->elapsed_s, 5e-7);
  assert_cell (row->pdata[10], expected_bps (&r->upload, r->upload_s), 0.5);
  assert_cell (row->pdata[11], expected_bps (&r->download, r->download_s), 0.5);
  assert_cell (row->pdata[12], tcp_load ? r->upload.retransmits + r->download.retransmits : NAN, 0.5);
  assert_cell (row->pdata[13], expected_loss (r), 5e-7);
  assert_cell (row->pdata[14], expected_jitter (r), 5e-7);
  assert_cell (row->pdata[15], expected_latency (r), 5e-7);
  assert_cell (row->pdata[16], !rr && r->idle_latency.count ? r->idle_latency.p50 : NAN, 5e-7);
  assert_cell (row->pdata[17], !rr && r->loaded_latency.count ? r->loaded_latency.p50 : NAN, 5e-7);
  assert_cell (row->pdata[18], rr ? r->transactions / r->elapsed_s : NAN, 5e-4);
  assert_cell (row->pdata[19], ws_result_rpm (r) > 0 ? ws_result_rpm (r) : NAN, 0.05);
}

static void
assert_csv_row (GPtrArray *row,
                gint64     id,
                WsResult  *r)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (r->start_time);
  g_autofree char *time = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autofree char *port = g_strdup_printf ("%u", r->port);
  g_autofree char *streams = g_strdup_printf ("%u", r->streams);
  g_autofree char *duration = g_strdup_printf ("%u", r->duration_s);

  g_assert_cmpuint (row->len, ==, G_N_ELEMENTS (csv_header));
  g_assert_cmpstr (row->pdata[0], ==, id_text);
  g_assert_cmpstr (row->pdata[1], ==, time);
  g_assert_cmpstr (row->pdata[2], ==, r->target);
  g_assert_cmpstr (row->pdata[3], ==, port);
  g_assert_cmpstr (row->pdata[4], ==, ws_test_mode_to_string (r->mode));
  g_assert_cmpstr (row->pdata[5], ==, ws_direction_to_string (r->direction));
  g_assert_cmpstr (row->pdata[6], ==, streams);
  g_assert_cmpstr (row->pdata[7], ==, duration);
  g_assert_cmpstr (row->pdata[9], ==, r->interrupted ? "true" : "false");
  assert_csv_numbers (row, r);
}

static char *
stream_text (GOutputStream *out)
{
  GMemoryOutputStream *mem = G_MEMORY_OUTPUT_STREAM (out);

  g_assert_true (g_output_stream_close (out, NULL, NULL));
  return g_strndup (g_memory_output_stream_get_data (mem),
                    g_memory_output_stream_get_data_size (mem));
}

static void
test_export_csv (Store        *store,
                 gconstpointer data)
{
  WsResult **results = get_real_results ();
  g_autofree gint64 *ids = add_real (store);
  g_autoptr(WsResult) odd = ws_result_ref (results[0]);
  g_autoptr(WsResult) copy = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autofree char *text = NULL;
  g_autofree char *odd_json = ws_result_to_json_string (odd);
  gint64 odd_id;

  /* A target with a comma, quotes and a line break, and a time after all. */
  copy = ws_result_new_from_json_string (odd_json, &error);
  g_assert_no_error (error);
  g_free (copy->target);
  copy->target = g_strdup ("evil,\"host\"\r\nname");
  g_date_time_unref (copy->start_time);
  copy->start_time = g_date_time_add_hours (results[G_N_ELEMENTS (run_specs) - 1]->start_time, 1);
  odd_id = ws_history_add (store->history, copy, &error);
  g_assert_no_error (error);

  g_assert_true (ws_history_export_csv (store->history, out, NULL, &error));
  g_assert_no_error (error);
  text = stream_text (out);
  rows = parse_csv (text);
  g_assert_cmpuint (rows->len, ==, 1 + G_N_ELEMENTS (run_specs) + 1);
  g_assert_cmpuint (((GPtrArray *) rows->pdata[0])->len, ==, G_N_ELEMENTS (csv_header));
  for (guint i = 0; i < G_N_ELEMENTS (csv_header); i++)
    g_assert_cmpstr (((GPtrArray *) rows->pdata[0])->pdata[i], ==, csv_header[i]);
  /* Oldest first. */
  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    assert_csv_row (rows->pdata[1 + i], ids[i], results[i]);
  assert_csv_row (rows->pdata[rows->len - 1], odd_id, copy);
  g_assert_nonnull (strstr (text, "\"evil,\"\"host\"\"\r\nname\""));
}

static void
test_export_json (Store        *store,
                  gconstpointer data)
{
  WsResult **results = get_real_results ();
  g_autofree gint64 *ids = add_real (store);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (run_specs); i++)
    {
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      g_autofree char *text = NULL;
      g_autofree char *want = ws_result_to_json_string (results[i]);
      g_autofree char *want_line = g_strconcat (want, "\n", NULL);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(WsResult) back = NULL;

      g_assert_true (ws_history_export_json (store->history, ids[i], out, NULL, &error));
      g_assert_no_error (error);
      text = stream_text (out);
      g_assert_cmpstr (text, ==, want_line);
      node = json_from_string (text, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "test"), ==,
                       ws_test_mode_to_string (results[i]->mode));
      back = ws_result_new_from_json (node, &error);
      g_assert_no_error (error);
    }
  {
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();

    g_assert_false (ws_history_export_json (store->history, 999999, out, NULL, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  }
}

/* On a worker ------------------------------------------------------------ */

typedef struct {
  Store *store;
  guint pending;
  GHashTable *ids;     /* ids the adds returned */
  GAsyncResult *last;  /* of the last call waited for */
} Calls;

/* Iterates the main context until every call of @calls has called back. */
static void
wait_calls (Calls *calls)
{
  gint64 end = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  /* Wakes the loop now and then, so that the deadline is checked. */
  guint heartbeat = g_timeout_add (100, (GSourceFunc) G_SOURCE_CONTINUE, NULL);

  while (calls->pending > 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (heartbeat);
}

static void
on_added (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  Calls *calls = data;
  g_autoptr(GError) error = NULL;
  gint64 id = ws_history_add_finish (WS_HISTORY (source), result, &error);

  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_true (g_hash_table_add (calls->ids, GSIZE_TO_POINTER (id)));
  /* "changed" came first, once a change. */
  g_assert_cmpuint (calls->store->changed, >=, g_hash_table_size (calls->ids));
  calls->pending--;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Calls *calls = data;

  g_clear_object (&calls->last);
  calls->last = g_object_ref (result);
  calls->pending--;
}

/* Waits for one call and hands over its result. */
static GAsyncResult *
wait_call (Calls *calls)
{
  calls->pending = 1;
  wait_calls (calls);
  return g_steal_pointer (&calls->last);
}

static char *
file_text (const char *path)
{
  g_autofree char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return g_steal_pointer (&text);
}

static void
check_async_saves (Calls *calls,
                   gint64 id)
{
  WsHistory *history = calls->store->history;
  g_autofree char *csv_path = g_build_filename (calls->store->dir, "history.csv", NULL);
  g_autofree char *json_path = g_build_filename (calls->store->dir, "result.json", NULL);
  g_autofree char *bad_path = g_build_filename (calls->store->dir, "missing", "result.json", NULL);
  g_autoptr(GFile) csv = g_file_new_for_path (csv_path);
  g_autoptr(GFile) json = g_file_new_for_path (json_path);
  g_autoptr(GFile) bad = g_file_new_for_path (bad_path);
  g_autoptr(GOutputStream) want_csv = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) want_json = g_memory_output_stream_new_resizable ();
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *have_csv = NULL;
  g_autofree char *have_json = NULL;
  g_autofree char *csv_text = NULL;
  g_autofree char *json_text = NULL;

  g_assert_true (ws_history_export_csv (history, want_csv, NULL, &error));
  g_assert_true (ws_history_export_json (history, id, want_json, NULL, &error));
  ws_history_save_csv_async (history, csv, on_done, calls);
  r = wait_call (calls);
  g_assert_true (ws_history_write_finish (history, r, &error));
  g_assert_no_error (error);
  g_clear_object (&r);
  ws_history_save_json_async (history, id, json, on_done, calls);
  r = wait_call (calls);
  g_assert_true (ws_history_write_finish (history, r, &error));
  g_clear_object (&r);
  have_csv = file_text (csv_path);
  have_json = file_text (json_path);
  csv_text = stream_text (want_csv);
  json_text = stream_text (want_json);
  g_assert_cmpstr (have_csv, ==, csv_text);
  g_assert_cmpstr (have_json, ==, json_text);
  /* A folder that is not there: said, not lost. */
  ws_history_save_json_async (history, id, bad, on_done, calls);
  r = wait_call (calls);
  g_assert_false (ws_history_write_finish (history, r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
check_async_reads (Calls *calls)
{
  WsHistory *history = calls->store->history;
  g_autoptr(GPtrArray) want = ws_history_list (history, NULL);
  g_autoptr(GPtrArray) have = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(WsResult) got = NULL;
  g_autoptr(WsResult) direct = NULL;
  g_autoptr(GCancellable) cancelled = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *got_json = NULL;
  g_autofree char *direct_json = NULL;
  gint64 id;

  ws_history_list_async (history, NULL, on_done, calls);
  r = wait_call (calls);
  have = ws_history_list_finish (history, r, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (have->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    g_assert_cmpint (((WsHistoryEntry *) have->pdata[i])->id, ==, ((WsHistoryEntry *) want->pdata[i])->id);
  g_clear_object (&r);

  id = ((WsHistoryEntry *) want->pdata[0])->id;
  ws_history_get_async (history, id, NULL, on_done, calls);
  r = wait_call (calls);
  got = ws_history_get_finish (history, r, &error);
  g_assert_no_error (error);
  direct = ws_history_get (history, id, NULL);
  got_json = ws_result_to_json_string (got);
  direct_json = ws_result_to_json_string (direct);
  g_assert_cmpstr (got_json, ==, direct_json);
  g_clear_object (&r);

  ws_history_get_async (history, 999999, NULL, on_done, calls);
  r = wait_call (calls);
  g_assert_null (ws_history_get_finish (history, r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&r);

  g_cancellable_cancel (cancelled);
  ws_history_get_async (history, id, cancelled, on_done, calls);
  r = wait_call (calls);
  g_assert_null (ws_history_get_finish (history, r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
check_async_removes (Calls *calls,
                     guint  n)
{
  WsHistory *history = calls->store->history;
  g_autoptr(GPtrArray) list = ws_history_list (history, NULL);
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  guint changed = calls->store->changed;
  gint64 id = ((WsHistoryEntry *) list->pdata[0])->id;

  ws_history_delete_async (history, id, on_done, calls);
  r = wait_call (calls);
  g_assert_true (ws_history_write_finish (history, r, &error));
  g_assert_cmpuint (calls->store->changed, ==, changed + 1);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = ws_history_list (history, NULL);
  g_assert_cmpuint (list->len, ==, n - 1);
  g_clear_object (&r);
  ws_history_delete_async (history, id, on_done, calls);
  r = wait_call (calls);
  g_assert_false (ws_history_write_finish (history, r, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_cmpuint (calls->store->changed, ==, changed + 1);
  g_clear_error (&error);
  g_clear_object (&r);
  ws_history_clear_async (history, on_done, calls);
  r = wait_call (calls);
  g_assert_true (ws_history_write_finish (history, r, &error));
  g_assert_cmpuint (calls->store->changed, ==, changed + 2);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = ws_history_list (history, NULL);
  g_assert_cmpuint (list->len, ==, 0);
}

/* The window's way: adds queued on workers, and flushed as at quit before
 * the main loop ever ran their callbacks: another connection sees every
 * one of them. Then each call against its synchronous twin. */
static void
test_async (Store        *store,
            gconstpointer data)
{
  WsResult **results = get_real_results ();
  g_autoptr(GHashTable) ids = g_hash_table_new (NULL, NULL);
  Calls calls = { store, 0, ids, NULL };
  g_autoptr(WsHistory) other = NULL;
  g_autoptr(GPtrArray) seen = NULL;
  g_autoptr(GError) error = NULL;
  const guint n = 8 * G_N_ELEMENTS (run_specs);

  for (guint i = 0; i < n; i++)
    {
      ws_history_add_async (store->history, results[i % G_N_ELEMENTS (run_specs)], on_added, &calls);
      calls.pending++;
    }
  ws_history_flush (store->history);
  other = ws_history_open (store->path, &error);
  g_assert_no_error (error);
  seen = ws_history_list (other, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, ==, n);
  g_assert_cmpuint (store->changed, ==, 0);
  wait_calls (&calls);
  g_assert_cmpuint (g_hash_table_size (ids), ==, n);
  g_assert_cmpuint (store->changed, ==, n);

  check_async_reads (&calls);
  check_async_saves (&calls, ((WsHistoryEntry *) seen->pdata[0])->id);
  check_async_removes (&calls, n);
  g_clear_object (&calls.last);
  /* A worker lets go of its task a moment after the callback ran. */
  {
    gint64 end = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (g_atomic_int_get (&G_OBJECT (store->history)->ref_count) > 1)
      {
        g_assert_cmpint (g_get_monotonic_time (), <, end);
        g_main_context_iteration (NULL, FALSE);
        g_usleep (1000);
      }
  }
}

/* Damaged files ------------------------------------------------------------ */

static char *
temp_file (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("wirespeed-history-XXXXXX", &error);

  g_assert_no_error (error);
  return g_build_filename (dir, name, NULL);
}

static void
remove_temp_file (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);

  remove_tree (dir);
}

static void
test_not_a_database (void)
{
  g_autofree char *path = temp_file ("history.db");
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  guint8 garbage[8192];
  g_autofree char *after = NULL;
  gsize after_len;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsHistory) history = NULL;

  for (guint i = 0; i < sizeof garbage; i++)
    garbage[i] = g_rand_int (rand);
  g_assert_true (g_file_set_contents (path, (char *) garbage, sizeof garbage, NULL));
  history = ws_history_open (path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, path));
  g_test_message ("%s", error->message);
  /* Left as it was. */
  g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
  g_assert_cmpmem (after, after_len, garbage, sizeof garbage);
  remove_temp_file (path);
}

static void
set_up_database (const char *path,
                 const char *sql)
{
  g_autoptr(sqlite3) db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

static void
test_newer_version (void)
{
  g_autofree char *path = temp_file ("history.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(WsHistory) history = ws_history_open (path, &error);

  g_assert_no_error (error);
  g_assert_finalize_object (g_steal_pointer (&history));
  set_up_database (path, "PRAGMA user_version = 2");
  history = ws_history_open (path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_test_message ("%s", error->message);
  remove_temp_file (path);
}

static void
test_foreign_database (void)
{
  g_autofree char *path = temp_file ("history.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(WsHistory) history = NULL;

  set_up_database (path, "CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
  history = ws_history_open (path, &error);
  g_assert_null (history);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  remove_temp_file (path);
}

static void
test_damaged_rows (Store        *store,
                   gconstpointer data)
{
  g_autofree gint64 *ids = add_real (store);
  g_autofree char *deep = g_strnfill (100000, '[');
  g_autoptr(sqlite3) db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) csv_out = g_memory_output_stream_new_resizable ();
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  const char *bad[] = { "{", deep, "{\"test\": \"NOPE\"}", "" };

  g_assert_cmpint (sqlite3_open (store->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE results SET json = ?1, mode = 99 WHERE id = ?2",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(WsResult) r = NULL;

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, bad[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, ids[i]);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      r = ws_history_get (store->history, ids[i], &error);
      g_assert_null (r);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
      /* Export writes what is stored if it is JSON at all. */
      if (ws_history_export_json (store->history, ids[i], out, NULL, &error))
        g_assert_cmpstr (bad[i], ==, "{\"test\": \"NOPE\"}");
      else
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  /* The rest still lists and exports. */
  list = ws_history_list (store->history, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, G_N_ELEMENTS (run_specs));
  g_assert_true (ws_history_export_csv (store->history, csv_out, NULL, &error));
  g_assert_no_error (error);
  csv = stream_text (csv_out);
  g_assert_nonnull (strstr (csv, ",UNKNOWN,"));
}

static void
test_default_path (void)
{
  g_autofree char *path = ws_history_default_path ();
  g_autofree char *want = g_build_filename (g_get_user_data_dir (), "wirespeed", "history.db", NULL);

  g_assert_cmpstr (path, ==, want);
}

static void
test_entry_copy (void)
{
  WsHistoryEntry entry = { .id = 3, .target = (char *) "x", .latency_ms = NAN };
  g_autoptr(WsHistoryEntry) copy = NULL;

  entry.start_time = g_date_time_new_now_utc ();
  copy = g_boxed_copy (WS_TYPE_HISTORY_ENTRY, &entry);
  g_assert_cmpint (copy->id, ==, 3);
  g_assert_cmpstr (copy->target, ==, "x");
  g_assert_true (copy->target != entry.target);
  g_assert_true (isnan (copy->latency_ms));
  g_assert_true (g_date_time_equal (copy->start_time, entry.start_time));
  g_date_time_unref (entry.start_time);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  main_thread = g_thread_self ();

  g_test_add_func ("/history/json/round-trip-real", test_round_trip_real);
  g_test_add_func ("/history/json/round-trip-synthetic", test_round_trip_synthetic);
  g_test_add_func ("/history/json/hostile-cases", test_hostile_cases);
  g_test_add_func ("/history/json/hostile-truncated", test_hostile_truncated);
  g_test_add_func ("/history/json/addresses", test_addresses);
  g_test_add_func ("/history/json/server-tests", test_server_tests);
  g_test_add_func ("/history/json/hostile-mutations", test_hostile_mutations);
  g_test_add ("/history/store/add-list-get-delete-clear", Store, NULL, store_setup, test_store, store_teardown);
  g_test_add ("/history/store/order", Store, NULL, store_setup, test_order, store_teardown);
  g_test_add ("/history/store/many", Store, NULL, store_setup, test_many, store_teardown);
  g_test_add ("/history/store/long", Store, NULL, store_setup, test_long, store_teardown);
  g_test_add ("/history/store/damaged-rows", Store, NULL, store_setup, test_damaged_rows, store_teardown);
  g_test_add ("/history/export/csv", Store, NULL, store_setup, test_export_csv, store_teardown);
  g_test_add ("/history/export/json", Store, NULL, store_setup, test_export_json, store_teardown);
  g_test_add ("/history/async", Store, NULL, store_setup, test_async, store_teardown);
  g_test_add_func ("/history/open/not-a-database", test_not_a_database);
  g_test_add_func ("/history/open/newer-version", test_newer_version);
  g_test_add_func ("/history/open/foreign-database", test_foreign_database);
  g_test_add_func ("/history/default-path", test_default_path);
  g_test_add_func ("/history/entry-copy", test_entry_copy);
  status = g_test_run ();
  for (guint i = 0; i < G_N_ELEMENTS (real_results); i++)
    g_clear_pointer (&real_results[i], ws_result_unref);
  return status;
}

/* test-metrics.c — the figures derived from a result (core/ws-metrics)
 *
 * The JSON, the text and the app all take these from ws-metrics; the
 * golden test holds what they write, this holds the edges: nothing to
 * divide by, one direction only, what is missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-result.h"

static void
test_rates (void)
{
  WsFlowStats flow = { .measured = TRUE, .sender_bytes = 2000, .receiver_bytes = 1000 };

  g_assert_cmpfloat (ws_flow_stats_bps (&flow, 2), ==, 4000);
  g_assert_cmpfloat (ws_flow_stats_sender_bps (&flow, 2), ==, 8000);
  g_assert_cmpfloat (ws_flow_stats_bps (&flow, 0), ==, 0);
  /* The receiver drained a queue for longer than the span. */
  flow.receiver_s = 4;
  g_assert_cmpfloat (ws_flow_stats_bps (&flow, 2), ==, 2000);
  g_assert_cmpfloat (ws_metrics_per_second (30, 2), ==, 15);
  g_assert_cmpfloat (ws_metrics_per_second (30, 0), ==, 0);
}

static void
test_shares (void)
{
  WsFlowStats flow = { .measured = TRUE, .udp = TRUE, .receiver_packets = 75, .lost = 25 };

  g_assert_cmpfloat (ws_flow_stats_loss_percent (&flow), ==, 25);
  g_assert_cmpfloat (ws_metrics_percent (1, 4), ==, 25);
  g_assert_cmpfloat (ws_metrics_percent (1, 0), ==, 0);
  g_assert_cmpfloat (ws_metrics_rr_loss_percent (3, 1), ==, 25);
  g_assert_cmpfloat (ws_metrics_rr_loss_percent (0, 0), ==, 0);
}

static void
test_totals (void)
{
  WsFlowStats up = { .measured = TRUE, .udp = TRUE, .receiver_packets = 10, .lost = 1,
                     .jitter_ms = 0.5, .rtt_us = 0 };
  WsFlowStats down = { .measured = TRUE, .udp = TRUE, .receiver_packets = 20, .lost = 3,
                       .jitter_ms = 0.25, .rtt_us = 900 };
  WsFlowStats unmeasured = { .rtt_us = 700 };
  WsFlowStats sum = ws_flow_stats_total (&up, &down);

  g_assert_true (sum.measured && sum.udp);
  g_assert_cmpuint (sum.receiver_packets, ==, 30);
  g_assert_cmpuint (sum.lost, ==, 4);
  g_assert_cmpfloat (sum.jitter_ms, ==, 0.5);
  /* Upload's RTT, unless it has none. */
  g_assert_cmpuint (ws_flow_stats_headline_rtt_us (&up, &down), ==, 900);
  up.rtt_us = 400;
  g_assert_cmpuint (ws_flow_stats_headline_rtt_us (&up, &down), ==, 400);
  g_assert_cmpuint (ws_flow_stats_headline_rtt_us (&unmeasured, &down), ==, 900);
}

static void
test_result_figures (void)
{
  g_autoptr(WsResult) r = ws_result_new ();

  g_assert_cmpfloat (ws_result_rpm (r), ==, 0);
  g_assert_null (ws_rpm_band (ws_result_rpm (r)));
  g_assert_true (isnan (ws_result_latency_increase_ms (r)));
  g_assert_cmpfloat (ws_result_probe_loss_percent (r), ==, 0);
  g_assert_true (ws_result_headline_latency (r) == &r->idle_latency);

  r->idle_latency = (WsLatency) { .count = 1, .p50 = 10 };
  r->loaded_latency = (WsLatency) { .count = 1, .p50 = 100 };
  r->probe_sent = 200;
  r->probe_lost = 3;
  r->transactions = 50;
  r->elapsed_s = 10;
  g_assert_cmpfloat (ws_result_rpm (r), ==, 600);
  g_assert_cmpstr (ws_rpm_band (ws_result_rpm (r)), ==, "medium");
  g_assert_cmpfloat (ws_result_latency_increase_ms (r), ==, 90);
  g_assert_cmpfloat (ws_result_probe_loss_percent (r), ==, 1.5);
  g_assert_cmpfloat (ws_result_transactions_per_s (r), ==, 5);
  g_assert_true (ws_result_headline_latency (r) == &r->loaded_latency);
  r->latency = (WsLatency) { .count = 5, .p50 = 1 };
  g_assert_true (ws_result_headline_latency (r) == &r->latency);
}

static void
test_rpm_bands (void)
{
  g_assert_null (ws_rpm_band (0));
  g_assert_cmpstr (ws_rpm_band (199), ==, "low");
  g_assert_cmpstr (ws_rpm_band (200), ==, "medium");
  g_assert_cmpstr (ws_rpm_band (800), ==, "medium");
  g_assert_cmpstr (ws_rpm_band (801), ==, "high");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/rates", test_rates);
  g_test_add_func ("/metrics/shares", test_shares);
  g_test_add_func ("/metrics/totals", test_totals);
  g_test_add_func ("/metrics/result-figures", test_result_figures);
  g_test_add_func ("/metrics/rpm-bands", test_rpm_bands);
  return g_test_run ();
}

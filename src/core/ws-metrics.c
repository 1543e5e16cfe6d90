/* ws-metrics.c — the figures derived from a result, computed once
 *
 * Rates, loss shares, RPM and its band, the headline RTT: the JSON writer,
 * the text printer and the app all call these, so that the three agree to
 * the last bit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-result.h"

/* The receiver's rate: its bytes over the time it took to receive them,
 * which after a stop includes draining a bottleneck's queue. Dividing by
 * the sender's time instead would credit the queue to the link. */
gdouble
ws_flow_stats_bps (const WsFlowStats *flow,
                   gdouble            seconds)
{
  if (flow->receiver_s > 0)
    seconds = flow->receiver_s;
  return seconds > 0 ? flow->receiver_bytes * 8.0 / seconds : 0;
}

/**
 * ws_sample_latency_ms:
 *
 * The interval's latency as a person feels it: the probe's median, else
 * the request/response median, else the senders' smoothed TCP RTT (all an
 * iperf3 server leaves us); NAN when the interval has none.
 */
gdouble
ws_sample_latency_ms (const WsSample *s)
{
  guint32 rtt_us = 0;
  guint n = 0;

  if (s->probe.count)
    return s->probe.p50;
  if (s->latency.count)
    return s->latency.p50;
  if (s->upload.rtt_us > 0)
    rtt_us += s->upload.rtt_us, n++;
  if (s->download.rtt_us > 0)
    rtt_us += s->download.rtt_us, n++;
  return n > 0 ? rtt_us / 1000.0 / n : NAN;
}

gdouble
ws_flow_stats_sender_bps (const WsFlowStats *flow,
                          gdouble            seconds)
{
  return seconds > 0 ? flow->sender_bytes * 8.0 / seconds : 0;
}

/* Sums streams into a total. RTT is not summable: callers set the mean. */
void
ws_flow_stats_add (WsFlowStats       *sum,
                   const WsFlowStats *part)
{
  if (!part->measured)
    return;
  sum->measured = TRUE;
  sum->sender_bytes += part->sender_bytes;
  sum->receiver_bytes += part->receiver_bytes;
  sum->retransmits += part->retransmits;
  sum->snd_cwnd += part->snd_cwnd;
  sum->udp |= part->udp;
  sum->sender_packets += part->sender_packets;
  sum->receiver_packets += part->receiver_packets;
  sum->lost += part->lost;
  sum->out_of_order += part->out_of_order;
  sum->duplicates += part->duplicates;
  sum->policed += part->policed;
  sum->jitter_ms = MAX (sum->jitter_ms, part->jitter_ms);
  sum->receiver_s = MAX (sum->receiver_s, part->receiver_s);
}

/* Loss as the receiver saw it: of the datagrams it expected. */
gdouble
ws_flow_stats_loss_percent (const WsFlowStats *flow)
{
  guint64 expected = flow->receiver_packets + flow->lost;

  return expected ? 100.0 * flow->lost / expected : 0;
}
/* Responsiveness: round trips per minute under load (networkQuality's RPM). */
gdouble
ws_result_rpm (const WsResult *r)
{
  return r->loaded_latency.count && r->loaded_latency.p50 > 0
         ? 60000.0 / r->loaded_latency.p50 : 0;
}

/* Apple's networkQuality bands: below 200 RPM is low, above 800 high. */
const char *
ws_rpm_band (gdouble rpm)
{
  if (rpm <= 0)
    return NULL;
  if (rpm < 200)
    return "low";
  if (rpm <= 800)
    return "medium";
  return "high";
}

/* The sender RTT a person cares about: upload's, or download's if only that. */
guint32
ws_flow_stats_headline_rtt_us (const WsFlowStats *up,
                               const WsFlowStats *down)
{
  return up->measured && up->rtt_us ? up->rtt_us : down->rtt_us;
}

/* Both directions as one, as the UDP totals and the sample lines show them. */
WsFlowStats
ws_flow_stats_total (const WsFlowStats *up,
                     const WsFlowStats *down)
{
  WsFlowStats sum = { 0 };

  ws_flow_stats_add (&sum, up);
  ws_flow_stats_add (&sum, down);
  return sum;
}

gdouble
ws_metrics_per_second (guint64 count,
                       gdouble seconds)
{
  return seconds > 0 ? count / seconds : 0;
}

/* @part of @whole in percent; 0 of nothing. */
gdouble
ws_metrics_percent (guint64 part,
                    guint64 whole)
{
  return whole ? 100.0 * part / whole : 0;
}

/* Request/response loss: of the requests that got an answer or were lost. */
gdouble
ws_metrics_rr_loss_percent (guint64 transactions,
                            guint64 lost)
{
  return ws_metrics_percent (lost, transactions + lost);
}

gdouble
ws_result_probe_loss_percent (const WsResult *r)
{
  return ws_metrics_percent (r->probe_lost, r->probe_sent);
}

gdouble
ws_result_transactions_per_s (const WsResult *r)
{
  return ws_metrics_per_second (r->transactions, r->elapsed_s);
}

/* How much the median round trip grew under load; NAN without both. */
gdouble
ws_result_latency_increase_ms (const WsResult *r)
{
  if (r->idle_latency.count == 0 || r->loaded_latency.count == 0)
    return NAN;
  return r->loaded_latency.p50 - r->idle_latency.p50;
}

/* The latency a one-line summary shows: request/response, else loaded,
 * else idle (the history's list does the same with its columns). */
const WsLatency *
ws_result_headline_latency (const WsResult *r)
{
  return r->latency.count ? &r->latency
         : r->loaded_latency.count ? &r->loaded_latency : &r->idle_latency;
}

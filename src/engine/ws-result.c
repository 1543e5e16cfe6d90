/* ws-result.c — the one results model: samples, summary, JSON
 *
 * The JSON produced here is the contract for the CLI's --json, the history
 * and exports; keys named in the issues (wirespeed_version, test, target,
 * port, direction, streams, duration_s, start_time, intervals[], summary)
 * never change meaning.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ws-result.h"

G_DEFINE_BOXED_TYPE (WsResult, ws_result, ws_result_ref, ws_result_unref)

WsResult *
ws_result_new (void)
{
  WsResult *result = g_new0 (WsResult, 1);

  result->ref_count = 1;
  result->protocol_version = WS_PROTOCOL_V2;
  result->samples = g_array_new (FALSE, TRUE, sizeof (WsSample));
  result->stream_summaries = g_array_new (FALSE, TRUE, sizeof (WsStreamSummary));
  return result;
}

WsResult *
ws_result_ref (WsResult *result)
{
  g_return_val_if_fail (result != NULL, NULL);
  g_atomic_int_inc (&result->ref_count);
  return result;
}

void
ws_result_unref (WsResult *result)
{
  g_return_if_fail (result != NULL);
  if (!g_atomic_int_dec_and_test (&result->ref_count))
    return;
  g_free (result->target);
  g_free (result->remote_address);
  g_clear_pointer (&result->start_time, g_date_time_unref);
  g_array_unref (result->samples);
  g_array_unref (result->stream_summaries);
  g_clear_pointer (&result->loaded_histogram, ws_histogram_free);
  g_free (result);
}

void
ws_result_add_sample (WsResult       *result,
                      const WsSample *sample)
{
  g_array_append_val (result->samples, *sample);
}

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

void
ws_latency_from_histogram (WsLatency         *latency,
                           const WsHistogram *h)
{
  memset (latency, 0, sizeof *latency);
  latency->count = ws_histogram_count (h);
  if (latency->count == 0)
    return;
  latency->min = ws_histogram_min (h) / 1e6;
  latency->mean = ws_histogram_mean (h) / 1e6;
  latency->p50 = ws_histogram_percentile (h, 50) / 1e6;
  latency->p90 = ws_histogram_percentile (h, 90) / 1e6;
  latency->p99 = ws_histogram_percentile (h, 99) / 1e6;
  latency->p999 = ws_histogram_percentile (h, 99.9) / 1e6;
  latency->max = ws_histogram_max (h) / 1e6;
  /* NaN only after an absurd overflow; JSON has no NaN. */
  latency->stddev = isnan (ws_histogram_stddev (h)) ? 0 : ws_histogram_stddev (h) / 1e6;
}

static void
add_latency (JsonBuilder     *b,
             const char      *key,
             const WsLatency *l)
{
  json_builder_set_member_name (b, key);
  if (l->count == 0)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
#define MEMBER(name) json_builder_set_member_name (b, #name); json_builder_add_double_value (b, l->name)
  MEMBER (min);
  MEMBER (mean);
  MEMBER (p50);
  MEMBER (p90);
  MEMBER (p99);
  MEMBER (p999);
  MEMBER (max);
  MEMBER (stddev);
#undef MEMBER
  json_builder_end_object (b);
}

/* Loaded latency over several phases is the distribution of them all, not
 * an average of their percentiles. */
void
ws_result_merge_loaded_latency (WsResult       *into,
                                const WsResult *from)
{
  if (from->loaded_histogram == NULL)
    return;
  if (into->loaded_histogram == NULL)
    into->loaded_histogram = ws_histogram_new ();
  ws_histogram_merge (into->loaded_histogram, from->loaded_histogram);
  ws_latency_from_histogram (&into->loaded_latency, into->loaded_histogram);
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

static void
add_under_load (JsonBuilder *b,
                WsResult    *r)
{
  gdouble rpm = ws_result_rpm (r);
  guint64 probes = r->probe_sent;

  add_latency (b, "idle_latency_ms", &r->idle_latency);
  add_latency (b, "loaded_latency_ms", &r->loaded_latency);
  if (r->mode == WS_TEST_SPEED)
    {
      add_latency (b, "loaded_latency_download_ms", &r->loaded_latency_download);
      add_latency (b, "loaded_latency_upload_ms", &r->loaded_latency_upload);
    }
  json_builder_set_member_name (b, "latency_increase_ms");
  if (r->idle_latency.count && r->loaded_latency.count)
    json_builder_add_double_value (b, r->loaded_latency.p50 - r->idle_latency.p50);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "probe_loss_percent");
  if (probes)
    json_builder_add_double_value (b, 100.0 * r->probe_lost / probes);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "rpm");
  if (rpm > 0)
    json_builder_add_double_value (b, rpm);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "rpm_band");
  if (rpm > 0)
    json_builder_add_string_value (b, ws_rpm_band (rpm));
  else
    json_builder_add_null_value (b);
}

static void
add_udp (JsonBuilder       *b,
         const WsFlowStats *flow)
{
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, flow->sender_packets);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, flow->receiver_packets);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, flow->lost);
  json_builder_set_member_name (b, "loss_percent");
  json_builder_add_double_value (b, ws_flow_stats_loss_percent (flow));
  json_builder_set_member_name (b, "out_of_order");
  json_builder_add_int_value (b, flow->out_of_order);
  json_builder_set_member_name (b, "duplicates");
  json_builder_add_int_value (b, flow->duplicates);
  json_builder_set_member_name (b, "jitter_ms");
  json_builder_add_double_value (b, flow->jitter_ms);
}

static void
add_rtt_ms (JsonBuilder *b,
            const char  *key,
            guint32      rtt_us)
{
  json_builder_set_member_name (b, key);
  if (rtt_us > 0)
    json_builder_add_double_value (b, rtt_us / 1000.0);
  else
    json_builder_add_null_value (b);
}

static void
add_flow (JsonBuilder       *b,
          const char        *key,
          const WsFlowStats *flow,
          gdouble            seconds)
{
  json_builder_set_member_name (b, key);
  if (!flow->measured)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "sender_bytes");
  json_builder_add_int_value (b, flow->sender_bytes);
  json_builder_set_member_name (b, "receiver_bytes");
  json_builder_add_int_value (b, flow->receiver_bytes);
  json_builder_set_member_name (b, "sender_bps");
  json_builder_add_double_value (b, ws_flow_stats_sender_bps (flow, seconds));
  json_builder_set_member_name (b, "receiver_bps");
  json_builder_add_double_value (b, ws_flow_stats_bps (flow, seconds));
  json_builder_set_member_name (b, "retransmits");
  json_builder_add_int_value (b, flow->retransmits);
  json_builder_set_member_name (b, "cwnd_bytes");
  json_builder_add_int_value (b, flow->snd_cwnd);
  add_rtt_ms (b, "rtt_ms", flow->rtt_us);
  if (flow->udp)
    add_udp (b, flow);
  json_builder_end_object (b);
}

/* "upload_bps": 1.2e9, or null for a direction that was not tested. */
static void
add_bps (JsonBuilder       *b,
         const char        *key,
         const WsFlowStats *flow,
         gdouble            seconds)
{
  json_builder_set_member_name (b, key);
  if (flow->measured)
    json_builder_add_double_value (b, ws_flow_stats_bps (flow, seconds));
  else
    json_builder_add_null_value (b);
}

static void
add_bytes (JsonBuilder       *b,
           const char        *key,
           const WsFlowStats *flow)
{
  json_builder_set_member_name (b, key);
  if (flow->measured)
    json_builder_add_int_value (b, flow->receiver_bytes);
  else
    json_builder_add_null_value (b);
}

/* The sender RTT a person cares about: upload's, or download's if only that. */
static guint32
headline_rtt (const WsFlowStats *up,
              const WsFlowStats *down)
{
  return up->measured && up->rtt_us ? up->rtt_us : down->rtt_us;
}

/* UDP totals over both directions, under the contract's top-level keys. */
static void
add_udp_totals (JsonBuilder       *b,
                const WsFlowStats *up,
                const WsFlowStats *down)
{
  WsFlowStats sum = { 0 };

  ws_flow_stats_add (&sum, up);
  ws_flow_stats_add (&sum, down);
  if (sum.udp)
    add_udp (b, &sum);
}

static void
add_rr (JsonBuilder     *b,
        guint64          transactions,
        guint64          requests,
        guint64          lost,
        const WsLatency *latency,
        gdouble          seconds)
{
  json_builder_set_member_name (b, "transactions_per_s");
  json_builder_add_double_value (b, seconds > 0 ? transactions / seconds : 0);
  add_latency (b, "latency_ms", latency);
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, requests);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, transactions);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, lost);
  json_builder_set_member_name (b, "loss_percent");
  json_builder_add_double_value (b, transactions + lost ? 100.0 * lost / (transactions + lost) : 0);
}

static void
add_sample (JsonBuilder    *b,
            WsResult       *r,
            const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;
  gboolean rr = ws_test_mode_is_rr (r->mode);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "start_s");
  json_builder_add_double_value (b, s->start_s);
  json_builder_set_member_name (b, "end_s");
  json_builder_add_double_value (b, s->end_s);
  add_bps (b, "upload_bps", &s->upload, span);
  add_bps (b, "download_bps", &s->download, span);
  json_builder_set_member_name (b, "retransmits");
  json_builder_add_int_value (b, s->upload.retransmits + s->download.retransmits);
  if (rr)
    {
      json_builder_set_member_name (b, "rtt_ms");
      if (s->latency.count)
        json_builder_add_double_value (b, s->latency.p50);
      else
        json_builder_add_null_value (b);
      add_rr (b, s->transactions, s->transactions + s->rr_lost, s->rr_lost, &s->latency, span);
      json_builder_set_member_name (b, "jitter_ms");
      json_builder_add_double_value (b, s->rtt_jitter_ms);
    }
  else
    {
      add_rtt_ms (b, "rtt_ms", headline_rtt (&s->upload, &s->download));
      add_udp_totals (b, &s->upload, &s->download);
      json_builder_set_member_name (b, "probe_rtt_ms");
      if (s->probe.count)
        json_builder_add_double_value (b, s->probe.p50);
      else
        json_builder_add_null_value (b);
    }
  add_flow (b, "upload", &s->upload, span);
  add_flow (b, "download", &s->download, span);
  json_builder_end_object (b);
}

static void
add_stream (JsonBuilder           *b,
            const WsStreamSummary *st)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_int_value (b, st->id);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, ws_direction_to_string (st->direction));
  json_builder_set_member_name (b, "duration_s");
  json_builder_add_double_value (b, st->duration_s);
  add_flow (b, "flow", &st->flow, st->duration_s);
  json_builder_end_object (b);
}

static void
add_summary (JsonBuilder *b,
             WsResult    *r)
{
  json_builder_set_member_name (b, "summary");
  json_builder_begin_object (b);
  add_bps (b, "upload_bps", &r->upload, r->upload_s);
  add_bps (b, "download_bps", &r->download, r->download_s);
  add_bytes (b, "upload_bytes", &r->upload);
  add_bytes (b, "download_bytes", &r->download);
  json_builder_set_member_name (b, "retransmits");
  json_builder_add_int_value (b, r->upload.retransmits + r->download.retransmits);
  if (ws_test_mode_is_rr (r->mode))
    {
      add_rr (b, r->transactions, r->requests_sent, r->rr_lost, &r->latency, r->elapsed_s);
      json_builder_set_member_name (b, "jitter_ms");
      json_builder_add_double_value (b, r->rtt_jitter_ms);
    }
  else
    {
      add_rtt_ms (b, "rtt_ms", headline_rtt (&r->upload, &r->download));
      add_udp_totals (b, &r->upload, &r->download);
      add_under_load (b, r);
      /* TCP has no datagram jitter: the speed test reports the probe's. */
      if (!r->upload.udp && !r->download.udp && r->loaded_latency.count)
        {
          json_builder_set_member_name (b, "jitter_ms");
          json_builder_add_double_value (b, r->rtt_jitter_ms);
        }
    }
  add_flow (b, "upload", &r->upload, r->upload_s);
  add_flow (b, "download", &r->download, r->download_s);
  json_builder_end_object (b);
}

static void
add_header (JsonBuilder *b,
            WsResult    *r)
{
  g_autofree char *start = r->start_time ? g_date_time_format_iso8601 (r->start_time) : NULL;

  json_builder_set_member_name (b, "wirespeed_version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_set_member_name (b, "protocol_version");
  json_builder_add_int_value (b, r->protocol_version);
  json_builder_set_member_name (b, "test");
  json_builder_add_string_value (b, ws_test_mode_to_string (r->mode));
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, r->target);
  json_builder_set_member_name (b, "remote_address");
  json_builder_add_string_value (b, r->remote_address);
  json_builder_set_member_name (b, "port");
  json_builder_add_int_value (b, r->port);
  json_builder_set_member_name (b, "direction");
  json_builder_add_string_value (b, ws_direction_to_string (r->direction));
  json_builder_set_member_name (b, "streams");
  json_builder_add_int_value (b, r->streams);
  json_builder_set_member_name (b, "duration_s");
  json_builder_add_int_value (b, r->duration_s);
  json_builder_set_member_name (b, "interval_s");
  json_builder_add_double_value (b, r->interval_s);
  json_builder_set_member_name (b, "length");
  json_builder_add_int_value (b, r->length);
  if (ws_test_mode_is_rr (r->mode))
    {
      json_builder_set_member_name (b, "rr_request_size");
      json_builder_add_int_value (b, r->rr_request_size);
      json_builder_set_member_name (b, "rr_response_size");
      json_builder_add_int_value (b, r->rr_response_size);
    }
  json_builder_set_member_name (b, "start_time");
  json_builder_add_string_value (b, start);
  json_builder_set_member_name (b, "elapsed_s");
  json_builder_add_double_value (b, r->elapsed_s);
  json_builder_set_member_name (b, "interrupted");
  json_builder_add_boolean_value (b, r->interrupted);
}

JsonNode *
ws_result_to_json (WsResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  add_header (b, r);

  json_builder_set_member_name (b, "intervals");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->samples->len; i++)
    add_sample (b, r, &g_array_index (r->samples, WsSample, i));
  json_builder_end_array (b);

  json_builder_set_member_name (b, "stream_results");
  json_builder_begin_array (b);
  for (guint i = 0; i < r->stream_summaries->len; i++)
    add_stream (b, &g_array_index (r->stream_summaries, WsStreamSummary, i));
  json_builder_end_array (b);

  add_summary (b, r);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

char *
ws_result_to_json_string (WsResult *result)
{
  g_autoptr(JsonNode) root = ws_result_to_json (result);
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

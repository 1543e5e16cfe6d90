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

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include "ws-address.h"
#include "ws-result.h"

G_DEFINE_BOXED_TYPE (WsResult, ws_result, ws_result_ref, ws_result_unref)

WsResult *
ws_result_new (void)
{
  WsResult *result = g_new0 (WsResult, 1);

  result->ref_count = 1;
  result->protocol_version = 2; /* WS_PROTOCOL_V2, the newest */
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
  g_free (result->local_address);
  g_free (result->client_address);
  g_free (result->peer_protocol);
  g_free (result->latency_method);
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

/* Whether something between client and server rewrote the client's address
 * or port, NAT mostly: unknown (FALSE) when the server did not say. */
gboolean
ws_result_address_translated (const WsResult *result)
{
  return result->client_address != NULL && result->local_address != NULL
         && g_strcmp0 (result->client_address, result->local_address) != 0;
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
  json_builder_set_member_name (b, "packets_policed");
  json_builder_add_int_value (b, flow->policed);
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

/* A timed test has neither: null, so scripts can tell. */
static void
add_fixed_size (JsonBuilder    *b,
                const WsResult *r)
{
  json_builder_set_member_name (b, "bytes");
  if (r->bytes != 0)
    json_builder_add_int_value (b, r->bytes);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "bytes_complete");
  if (r->bytes != 0)
    json_builder_add_boolean_value (b, r->bytes_complete);
  else
    json_builder_add_null_value (b);
}

static void
add_nullable_string (JsonBuilder *b,
                     const char  *key,
                     const char  *value)
{
  json_builder_set_member_name (b, key);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
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
  add_nullable_string (b, "local_address", r->local_address);
  add_nullable_string (b, "client_address", r->client_address);
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
  add_fixed_size (b, r);
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
  if (r->peer_protocol != NULL)
    {
      json_builder_set_member_name (b, "peer_protocol");
      json_builder_add_string_value (b, r->peer_protocol);
    }
  if (r->latency_method != NULL)
    {
      json_builder_set_member_name (b, "latency_method");
      json_builder_add_string_value (b, r->latency_method);
    }
}

/* json-glib 1.6 writes a double whose shortest form has an exponent but no
 * point (1e+17, 6e-09) with ".0" after the exponent, which is not JSON: the
 * history could not read such a result back. Those are one digit times a
 * power of ten; the next double towards zero differs in the 17th digit
 * only, and prints with a point or without an exponent. Every JSON this
 * engine writes goes through here (results, iperf3's results). */
void
ws_json_fix_doubles (JsonNode *node)
{
  JsonObjectIter iter;
  JsonNode *member;
  JsonArray *array;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        ws_json_fix_doubles (member);
      break;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        ws_json_fix_doubles (json_array_get_element (array, i));
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
        break;
      g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node));
      if (strchr (buf, 'e') != NULL && strchr (buf, '.') == NULL)
        json_node_set_double (node, nextafter (json_node_get_double (node), 0));
      break;
    default:
      break;
    }
}

JsonNode *
ws_result_to_json (WsResult *r)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonNode *root;

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
  root = json_builder_get_root (b);
  ws_json_fix_doubles (root);
  return root;
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

/* Reading the JSON back ------------------------------------------------
 *
 * The inverse of ws_result_to_json() for input that may be a user's file or
 * a damaged database: a missing or null member keeps its default, a member
 * of the wrong type or out of range is an error. The readers keep the first
 * error and skip every read after it, so each stays a straight line and the
 * caller checks once at the end.
 *
 * Some fields are not written as such and are solved for instead, so that
 * writing the result again gives the same text: the phase times and the
 * receivers' times from the rates they divided, the probe counts from their
 * ratio. Latency counts are not written at all: a block that is there reads
 * back with the transactions as its count (request/response) or 1. What the
 * JSON does not hold in any form (late responses, the probe's losses per
 * interval, the probe's jitter in a UDP test) reads back as 0.
 */

/* A result is a handful of levels deep; json-glib's parser recurses once a
 * level and overflows the stack long before it runs out of input. */
#define MAX_JSON_DEPTH 64

static void
set_invalid (GError     **error,
             const char  *key,
             const char  *problem)
{
  if (*error == NULL)
    /* Translators: a JSON key, then what is wrong with its value, such as
     * “is not a number”. The keys are not translated. */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("Invalid result: “%s” %s"), key, _(problem));
}

/* NULL for a missing or null member: the caller keeps its default. */
static JsonNode *
get_node (JsonObject  *o,
          const char  *key,
          GError     **error)
{
  JsonNode *node;

  if (*error != NULL || o == NULL)
    return NULL;
  node = json_object_get_member (o, key);
  return node == NULL || JSON_NODE_HOLDS_NULL (node) ? NULL : node;
}

/* The member if it is a @type; NULL, and an error, if it is something else. */
static JsonNode *
get_typed_node (JsonObject    *o,
                const char    *key,
                JsonNodeType   type,
                const char    *problem,
                GError       **error)
{
  JsonNode *node = get_node (o, key, error);

  if (node == NULL || JSON_NODE_TYPE (node) == type)
    return node;
  set_invalid (error, key, problem);
  return NULL;
}

static GType
get_value_type (JsonObject  *o,
                const char  *key,
                GError     **error)
{
  JsonNode *node = get_typed_node (o, key, JSON_NODE_VALUE, N_("is not a value"), error);

  return node != NULL ? json_node_get_value_type (node) : G_TYPE_INVALID;
}

static gdouble
get_double (JsonObject  *o,
            const char  *key,
            GError     **error)
{
  GType type = get_value_type (o, key, error);
  gdouble d;

  if (type == G_TYPE_INVALID)
    return 0;
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    {
      set_invalid (error, key, N_("is not a number"));
      return 0;
    }
  d = json_object_get_double_member (o, key);
  /* 1e999 parses as infinity, which JSON cannot hold when written again. */
  if (!isfinite (d))
    {
      set_invalid (error, key, N_("is not a finite number"));
      return 0;
    }
  return d;
}

/* The writer divides by times and by the median latency: a value that is
 * neither 0 nor between a nanosecond and 30 000 years would overflow into
 * infinity, which JSON cannot hold. */
static gboolean
plausible_span (gdouble value)
{
  return value == 0 || (fabs (value) >= 1e-9 && fabs (value) <= 1e12);
}

static gdouble
get_span (JsonObject  *o,
          const char  *key,
          GError     **error)
{
  gdouble value = get_double (o, key, error);

  if (!plausible_span (value))
    {
      set_invalid (error, key, N_("is out of range"));
      return 0;
    }
  return value;
}

/* Whole numbers up to @max; a double counts when it is whole. Never above
 * G_MAXINT64: the writer's JSON integers are gint64, so a larger count
 * would be written back negative and refused on the next read. */
static guint64
get_uint (JsonObject  *o,
          const char  *key,
          guint64      max,
          guint64      fallback,
          GError     **error)
{
  GType type = get_value_type (o, key, error);
  gint64 i;
  gdouble d;

  if (type == G_TYPE_INT64)
    {
      i = json_object_get_int_member (o, key);
      if (i >= 0 && (guint64) i <= max)
        return i;
    }
  else if (type == G_TYPE_DOUBLE)
    {
      d = json_object_get_double_member (o, key);
      if (d >= 0 && d < 0x1p63 && d == floor (d) && (guint64) d <= max)
        return (guint64) d;
    }
  else if (type == G_TYPE_INVALID)
    return fallback;
  set_invalid (error, key, N_("is not a whole number in range"));
  return fallback;
}

static const char *
get_string (JsonObject  *o,
            const char  *key,
            GError     **error)
{
  GType type = get_value_type (o, key, error);

  if (type == G_TYPE_INVALID)
    return NULL;
  if (type != G_TYPE_STRING)
    {
      set_invalid (error, key, N_("is not a string"));
      return NULL;
    }
  return json_object_get_string_member (o, key);
}

/* Optional (absent or null in older results and against iperf3), and in
 * the one form the writer uses, since the text report prints it. */
static char *
get_address (JsonObject  *o,
             const char  *key,
             GError     **error)
{
  const char *str = get_string (o, key, error);

  if (str == NULL)
    return NULL;
  if (!ws_address_is_valid (str))
    {
      set_invalid (error, key, "is not an address and port");
      return NULL;
    }
  return g_strdup (str);
}

static gboolean
get_boolean (JsonObject  *o,
             const char  *key,
             GError     **error)
{
  GType type = get_value_type (o, key, error);

  if (type == G_TYPE_INVALID)
    return FALSE;
  if (type != G_TYPE_BOOLEAN)
    {
      set_invalid (error, key, N_("is not true or false"));
      return FALSE;
    }
  return json_object_get_boolean_member (o, key);
}

static JsonObject *
get_object (JsonObject  *o,
            const char  *key,
            GError     **error)
{
  JsonNode *node = get_typed_node (o, key, JSON_NODE_OBJECT, N_("is not an object"), error);

  return node != NULL ? json_node_get_object (node) : NULL;
}

/* The objects of array @key, or NULL; any other element is an error. */
static JsonArray *
get_object_array (JsonObject  *o,
                  const char  *key,
                  GError     **error)
{
  JsonNode *node = get_typed_node (o, key, JSON_NODE_ARRAY, N_("is not an array"), error);
  JsonArray *array;

  if (node == NULL)
    return NULL;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!JSON_NODE_HOLDS_OBJECT (json_array_get_element (array, i)))
      {
        set_invalid (error, key, N_("holds something that is not an object"));
        return NULL;
      }
  return array;
}

static WsDirection
get_direction (JsonObject  *o,
               const char  *key,
               GError     **error)
{
  const char *str = get_string (o, key, error);

  for (WsDirection d = WS_DIRECTION_UPLOAD; d <= WS_DIRECTION_BIDIR; d++)
    if (g_strcmp0 (str, ws_direction_to_string (d)) == 0)
      return d;
  if (str != NULL)
    set_invalid (error, key, N_("is not upload, download or bidir"));
  return WS_DIRECTION_UPLOAD;
}

static GDateTime *
get_time (JsonObject  *o,
          const char  *key,
          GError     **error)
{
  const char *str = get_string (o, key, error);
  GDateTime *time;

  if (str == NULL)
    return NULL;
  time = g_date_time_new_from_iso8601 (str, NULL);
  if (time == NULL)
    set_invalid (error, key, N_("is not an ISO 8601 time"));
  return time;
}

/* The divisor that gives @bps from @bits to the last bit. bits / bps is
 * that time in every case tried, but two roundings are not a proof: the
 * loop checks instead of trusting. 0 when no plausible time does. */
static gdouble
solve_seconds (gdouble bits,
               gdouble bps)
{
  gdouble s = bits / bps;

  for (guint i = 0; i < 8 && plausible_span (s) && bits / s != bps; i++)
    s = nextafter (s, bits / s > bps ? INFINITY : 0);
  return plausible_span (s) ? s : 0;
}

/* receiver_s is not written; it differs from the span when the receiver's
 * rate does. */
static gdouble
receiver_seconds (const WsFlowStats *flow,
                  gdouble            receiver_bps,
                  gdouble            seconds)
{
  WsFlowStats over_span = *flow;

  over_span.receiver_s = 0;
  if (ws_flow_stats_bps (&over_span, seconds) == receiver_bps
      || flow->receiver_bytes == 0 || receiver_bps <= 0)
    return 0;
  return solve_seconds (flow->receiver_bytes * 8.0, receiver_bps);
}

static guint32
get_rtt_us (JsonObject  *o,
            const char  *key,
            GError     **error)
{
  gdouble ms = get_double (o, key, error);

  if (ms < 0 || ms * 1000 > G_MAXUINT32)
    {
      set_invalid (error, key, N_("is out of range"));
      return 0;
    }
  return (guint32) round (ms * 1000);
}

static void
read_udp (JsonObject  *o,
          WsFlowStats *flow,
          GError     **error)
{
  flow->udp = TRUE;
  flow->sender_packets = get_uint (o, "packets_sent", G_MAXUINT64, 0, error);
  flow->receiver_packets = get_uint (o, "packets_received", G_MAXUINT64, 0, error);
  flow->lost = get_uint (o, "packets_lost", G_MAXUINT64, 0, error);
  flow->out_of_order = get_uint (o, "out_of_order", G_MAXUINT64, 0, error);
  flow->duplicates = get_uint (o, "duplicates", G_MAXUINT64, 0, error);
  flow->policed = get_uint (o, "packets_policed", G_MAXUINT64, 0, error);
  flow->jitter_ms = get_double (o, "jitter_ms", error);
}

/* The inverse of add_flow(), whose rates were divided by @seconds. */
static void
read_flow (JsonObject  *parent,
           const char  *key,
           WsFlowStats *flow,
           gdouble      seconds,
           GError     **error)
{
  JsonObject *o = get_object (parent, key, error);

  if (o == NULL)
    return;
  flow->measured = TRUE;
  flow->sender_bytes = get_uint (o, "sender_bytes", G_MAXUINT64, 0, error);
  flow->receiver_bytes = get_uint (o, "receiver_bytes", G_MAXUINT64, 0, error);
  flow->retransmits = get_uint (o, "retransmits", G_MAXUINT32, 0, error);
  flow->snd_cwnd = get_uint (o, "cwnd_bytes", G_MAXUINT64, 0, error);
  flow->rtt_us = get_rtt_us (o, "rtt_ms", error);
  flow->receiver_s = receiver_seconds (flow, get_double (o, "receiver_bps", error), seconds);
  if (json_object_has_member (o, "packets_sent"))
    read_udp (o, flow, error);
}

/* upload_s and download_s are not written: the sender's rate, or failing
 * that the receiver's, was divided by them. */
static gdouble
flow_seconds (JsonObject  *summary,
              const char  *key,
              gdouble      fallback,
              GError     **error)
{
  JsonObject *o = get_object (summary, key, error);
  gdouble sent = get_uint (o, "sender_bytes", G_MAXUINT64, 0, error) * 8.0;
  gdouble received = get_uint (o, "receiver_bytes", G_MAXUINT64, 0, error) * 8.0;
  gdouble sender_bps = get_double (o, "sender_bps", error);
  gdouble receiver_bps = get_double (o, "receiver_bps", error);
  gdouble seconds = 0;

  if (sent > 0 && sender_bps == 0)
    return 0;
  if (sent > 0)
    seconds = solve_seconds (sent, sender_bps);
  else if (received > 0 && receiver_bps > 0)
    seconds = solve_seconds (received, receiver_bps);
  return seconds > 0 ? seconds : fallback;
}

static void
read_latency (JsonObject  *parent,
              const char  *key,
              WsLatency   *l,
              guint64      count,
              GError     **error)
{
  JsonObject *o = get_object (parent, key, error);

  if (o == NULL)
    return;
  l->count = MAX (count, 1);
#define MEMBER(name) l->name = get_double (o, #name, error)
  MEMBER (min);
  MEMBER (mean);
  l->p50 = get_span (o, "p50", error);
  MEMBER (p90);
  MEMBER (p99);
  MEMBER (p999);
  MEMBER (max);
  MEMBER (stddev);
#undef MEMBER
}

/* Only the median of a sample's probe is written. */
static void
read_probe_median (JsonObject  *o,
                   WsLatency   *probe,
                   GError     **error)
{
  if (get_node (o, "probe_rtt_ms", error) == NULL)
    return;
  probe->count = 1;
  probe->p50 = get_span (o, "probe_rtt_ms", error);
}

static void
read_sample (JsonObject  *o,
             WsResult    *r,
             WsSample    *s,
             GError     **error)
{
  gdouble span;

  s->start_s = get_span (o, "start_s", error);
  s->end_s = get_span (o, "end_s", error);
  span = s->end_s - s->start_s;
  read_flow (o, "upload", &s->upload, span, error);
  read_flow (o, "download", &s->download, span, error);
  if (ws_test_mode_is_rr (r->mode))
    {
      s->transactions = get_uint (o, "packets_received", G_MAXUINT64, 0, error);
      s->rr_lost = get_uint (o, "packets_lost", G_MAXUINT64, 0, error);
      read_latency (o, "latency_ms", &s->latency, s->transactions, error);
      s->rtt_jitter_ms = get_double (o, "jitter_ms", error);
    }
  else
    read_probe_median (o, &s->probe, error);
}

static void
read_intervals (JsonObject  *root,
                WsResult    *r,
                GError     **error)
{
  JsonArray *array = get_object_array (root, "intervals", error);
  guint n = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < n && *error == NULL; i++)
    {
      WsSample s = { .index = i };

      read_sample (json_array_get_object_element (array, i), r, &s, error);
      ws_result_add_sample (r, &s);
    }
}

static void
read_streams (JsonObject  *root,
              WsResult    *r,
              GError     **error)
{
  JsonArray *array = get_object_array (root, "stream_results", error);
  guint n = array != NULL ? json_array_get_length (array) : 0;

  for (guint i = 0; i < n && *error == NULL; i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      WsStreamSummary st = { 0 };

      st.id = get_uint (o, "id", G_MAXUINT, 0, error);
      st.direction = get_direction (o, "direction", error);
      st.duration_s = get_span (o, "duration_s", error);
      read_flow (o, "flow", &st.flow, st.duration_s, error);
      g_array_append_val (r->stream_summaries, st);
    }
}

/* Only the share of probes lost is written: the smallest fraction that
 * gives the same number back, which for a real test is the one it had. */
static void
read_probe_loss (JsonObject  *o,
                 WsResult    *r,
                 GError     **error)
{
  gdouble percent;

  if (get_node (o, "probe_loss_percent", error) == NULL)
    return;
  percent = get_double (o, "probe_loss_percent", error);
  if (percent < 0 || percent > 100)
    {
      set_invalid (error, "probe_loss_percent", N_("is out of range"));
      return;
    }
  r->probe_sent = 1000000;
  r->probe_lost = (guint64) round (percent * 1e4);
  for (guint64 sent = 1; sent <= 1000000; sent++)
    {
      guint64 lost = (guint64) round (percent * sent / 100);

      if (100.0 * lost / sent == percent)
        {
          r->probe_sent = sent;
          r->probe_lost = lost;
          return;
        }
    }
}

static void
read_under_load (JsonObject  *o,
                 WsResult    *r,
                 GError     **error)
{
  read_latency (o, "idle_latency_ms", &r->idle_latency, 1, error);
  read_latency (o, "loaded_latency_ms", &r->loaded_latency, 1, error);
  if (r->mode == WS_TEST_SPEED)
    {
      read_latency (o, "loaded_latency_download_ms", &r->loaded_latency_download, 1, error);
      read_latency (o, "loaded_latency_upload_ms", &r->loaded_latency_upload, 1, error);
    }
  read_probe_loss (o, r, error);
  /* Where UDP's datagram jitter takes the key, the probe's is not written. */
  if (!r->upload.udp && !r->download.udp && r->loaded_latency.count)
    r->rtt_jitter_ms = get_double (o, "jitter_ms", error);
}

static void
read_summary (JsonObject  *root,
              WsResult    *r,
              GError     **error)
{
  JsonObject *o = get_object (root, "summary", error);

  r->upload_s = flow_seconds (o, "upload", r->elapsed_s, error);
  r->download_s = flow_seconds (o, "download", r->elapsed_s, error);
  read_flow (o, "upload", &r->upload, r->upload_s, error);
  read_flow (o, "download", &r->download, r->download_s, error);
  if (ws_test_mode_is_rr (r->mode))
    {
      r->requests_sent = get_uint (o, "packets_sent", G_MAXUINT64, 0, error);
      r->transactions = get_uint (o, "packets_received", G_MAXUINT64, 0, error);
      r->rr_lost = get_uint (o, "packets_lost", G_MAXUINT64, 0, error);
      read_latency (o, "latency_ms", &r->latency, r->transactions, error);
      r->rtt_jitter_ms = get_double (o, "jitter_ms", error);
    }
  else
    read_under_load (o, r, error);
}

/* The one member without a default: it says what the rest means. */
static void
read_mode (JsonObject  *root,
           WsResult    *r,
           GError     **error)
{
  const char *test = get_string (root, "test", error);

  if (test == NULL)
    set_invalid (error, "test", N_("is missing"));
  else if (!ws_test_mode_from_string (test, &r->mode))
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 _("Invalid result: unknown test “%s”"), test);
}

static void
read_header (JsonObject  *o,
             WsResult    *r,
             GError     **error)
{
  r->protocol_version = get_uint (o, "protocol_version", G_MAXUINT8, r->protocol_version, error);
  r->target = g_strdup (get_string (o, "target", error));
  r->remote_address = g_strdup (get_string (o, "remote_address", error));
  r->local_address = get_address (o, "local_address", error);
  r->client_address = get_address (o, "client_address", error);
  r->port = get_uint (o, "port", G_MAXUINT16, 0, error);
  r->direction = get_direction (o, "direction", error);
  r->streams = get_uint (o, "streams", G_MAXUINT, 0, error);
  r->duration_s = get_uint (o, "duration_s", G_MAXUINT, 0, error);
  r->interval_s = get_double (o, "interval_s", error);
  r->length = get_uint (o, "length", G_MAXUINT32, 0, error);
  /* Optional and nullable: older results and timed tests have none. */
  r->bytes = get_uint (o, "bytes", G_MAXINT64, 0, error);
  r->bytes_complete = r->bytes != 0 && get_boolean (o, "bytes_complete", error);
  r->rr_request_size = get_uint (o, "rr_request_size", G_MAXUINT32, 0, error);
  r->rr_response_size = get_uint (o, "rr_response_size", G_MAXUINT32, 0, error);
  r->start_time = get_time (o, "start_time", error);
  r->elapsed_s = get_span (o, "elapsed_s", error);
  r->interrupted = get_boolean (o, "interrupted", error);
  /* Optional: only results against another tool's server have them. */
  if (json_object_has_member (o, "peer_protocol"))
    r->peer_protocol = g_strndup (get_string (o, "peer_protocol", error), 64);
  if (json_object_has_member (o, "latency_method"))
    r->latency_method = g_strndup (get_string (o, "latency_method", error), 512);
}

WsResult *
ws_result_new_from_json (JsonNode  *node,
                         GError   **error)
{
  g_autoptr(WsResult) r = ws_result_new ();
  g_autoptr(GError) local_error = NULL;
  JsonObject *root;

  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (node);
  read_mode (root, r, &local_error);
  read_header (root, r, &local_error);
  read_intervals (root, r, &local_error);
  read_streams (root, r, &local_error);
  read_summary (root, r, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&r);
}

/* How deep @json nests, counting brackets outside strings. */
static guint
json_depth (const char *json)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (const char *p = json; *p != '\0'; p++)
    {
      if (in_string && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        in_string = !in_string;
      else if (!in_string && (*p == '[' || *p == '{'))
        deepest = MAX (deepest, ++depth);
      else if (!in_string && (*p == ']' || *p == '}') && depth > 0)
        depth--;
    }
  return deepest;
}

/* Whether @json holds at most one container, with nothing but white space
 * around it. json-glib 1.6 also reads values in a row ("{…}{…}") and
 * JavaScript statements ("var a = 1; var b = {…};"), keeps the last root
 * and leaks the others: a damaged entry would leak each time it is read. */
static gboolean
json_is_one_value (const char *json)
{
  guint depth = 0, containers = 0;
  gboolean in_string = FALSE, stray = FALSE;

  for (const char *p = json; *p != '\0'; p++)
    {
      if (in_string && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        {
          in_string = !in_string;
          stray |= depth == 0;
        }
      else if (in_string)
        continue;
      else if (*p == '[' || *p == '{')
        containers += depth++ == 0;
      else if ((*p == ']' || *p == '}') && depth > 0)
        depth--;
      else if (depth == 0 && !g_ascii_isspace (*p))
        stray = TRUE;
    }
  return containers == 0 || (containers == 1 && !stray);
}

/* Parses JSON text from a file or a database, which may be hostile. */
JsonNode *
ws_result_json_parse (const char  *json,
                      GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (json_depth (json) > MAX_JSON_DEPTH)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: nested too deeply"));
      return NULL;
    }
  if (!json_is_one_value (json))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: more than one JSON value"));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   /* Translators: %s is the JSON parser's reason. */
                   _("Invalid result: %s"), local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: empty"));
      return NULL;
    }
  return json_parser_steal_root (parser);
}

WsResult *
ws_result_new_from_json_string (const char  *json,
                                GError     **error)
{
  g_autoptr(JsonNode) root = ws_result_json_parse (json, error);

  return root != NULL ? ws_result_new_from_json (root, error) : NULL;
}

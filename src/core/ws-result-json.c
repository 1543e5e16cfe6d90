/* ws-result-json.c — a result written as JSON
 *
 * The JSON produced here is the contract for the CLI's --json, the history
 * and exports; keys named in the issues (wirespeed_version, test, target,
 * port, direction, streams, duration_s, start_time, intervals[], summary)
 * never change meaning. tests/golden holds it byte for byte.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-result.h"

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

static void
add_under_load (JsonBuilder *b,
                WsResult    *r)
{
  gdouble rpm = ws_result_rpm (r);
  gdouble increase = ws_result_latency_increase_ms (r);

  add_latency (b, "idle_latency_ms", &r->idle_latency);
  add_latency (b, "loaded_latency_ms", &r->loaded_latency);
  if (r->mode == WS_TEST_SPEED)
    {
      add_latency (b, "loaded_latency_download_ms", &r->loaded_latency_download);
      add_latency (b, "loaded_latency_upload_ms", &r->loaded_latency_upload);
    }
  json_builder_set_member_name (b, "latency_increase_ms");
  if (!isnan (increase))
    json_builder_add_double_value (b, increase);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "probe_loss_percent");
  if (r->probe_sent)
    json_builder_add_double_value (b, ws_result_probe_loss_percent (r));
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

/* UDP totals over both directions, under the contract's top-level keys. */
static void
add_udp_totals (JsonBuilder       *b,
                const WsFlowStats *up,
                const WsFlowStats *down)
{
  WsFlowStats sum = ws_flow_stats_total (up, down);

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
  json_builder_add_double_value (b, ws_metrics_per_second (transactions, seconds));
  add_latency (b, "latency_ms", latency);
  json_builder_set_member_name (b, "packets_sent");
  json_builder_add_int_value (b, requests);
  json_builder_set_member_name (b, "packets_received");
  json_builder_add_int_value (b, transactions);
  json_builder_set_member_name (b, "packets_lost");
  json_builder_add_int_value (b, lost);
  json_builder_set_member_name (b, "loss_percent");
  json_builder_add_double_value (b, ws_metrics_rr_loss_percent (transactions, lost));
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
      add_rtt_ms (b, "rtt_ms", ws_flow_stats_headline_rtt_us (&s->upload, &s->download));
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

/* A phase that did not happen is null. */
static void
add_phase_ms (JsonBuilder *b,
              const char  *key,
              gdouble      ms)
{
  json_builder_set_member_name (b, key);
  if (ms >= 0)
    json_builder_add_double_value (b, ms);
  else
    json_builder_add_null_value (b);
}

static void add_nullable_string (JsonBuilder *b,
                                 const char  *key,
                                 const char  *value);

static void
add_http (JsonBuilder *b,
          WsResult    *r)
{
  const WsHttpSummary *h = r->http;

  json_builder_set_member_name (b, "http");
  json_builder_begin_object (b);
  add_nullable_string (b, "url", h->url);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, h->status);
  add_nullable_string (b, "http_version", h->http_version);
  add_nullable_string (b, "tls_version", h->tls_version);
  add_nullable_string (b, "tls_cipher", h->tls_cipher);
  add_nullable_string (b, "remote_address", h->remote_address);
  add_phase_ms (b, "dns_ms", h->dns_ms);
  add_phase_ms (b, "connect_ms", h->connect_ms);
  add_phase_ms (b, "tls_ms", h->tls_ms);
  add_phase_ms (b, "ttfb_ms", h->ttfb_ms);
  add_phase_ms (b, "transfer_ms", h->transfer_ms);
  json_builder_set_member_name (b, "body_bytes");
  json_builder_add_int_value (b, h->body_bytes);
  add_bps (b, "download_bps", &r->download, r->download_s);
  add_bps (b, "upload_bps", &r->upload, r->upload_s);
  json_builder_set_member_name (b, "requests");
  json_builder_add_int_value (b, h->requests);
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
      add_rtt_ms (b, "rtt_ms", ws_flow_stats_headline_rtt_us (&r->upload, &r->download));
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
  if (r->http != NULL)
    add_http (b, r);
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
  json_builder_set_member_name (b, "server_tests");
  if (r->server_tests >= 0)
    json_builder_add_int_value (b, r->server_tests);
  else
    json_builder_add_null_value (b);
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

  return ws_json_to_pretty_string (root, NULL);
}

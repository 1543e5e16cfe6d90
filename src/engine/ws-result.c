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
  g_free (result);
}

void
ws_result_add_sample (WsResult       *result,
                      const WsSample *sample)
{
  g_array_append_val (result->samples, *sample);
}

gdouble
ws_flow_stats_bps (const WsFlowStats *flow,
                   gdouble            seconds)
{
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

static void
add_sample (JsonBuilder    *b,
            const WsSample *s)
{
  gdouble span = s->end_s - s->start_s;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "start_s");
  json_builder_add_double_value (b, s->start_s);
  json_builder_set_member_name (b, "end_s");
  json_builder_add_double_value (b, s->end_s);
  add_bps (b, "upload_bps", &s->upload, span);
  add_bps (b, "download_bps", &s->download, span);
  json_builder_set_member_name (b, "retransmits");
  json_builder_add_int_value (b, s->upload.retransmits + s->download.retransmits);
  add_rtt_ms (b, "rtt_ms", headline_rtt (&s->upload, &s->download));
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
  add_bps (b, "upload_bps", &r->upload, r->elapsed_s);
  add_bps (b, "download_bps", &r->download, r->elapsed_s);
  add_bytes (b, "upload_bytes", &r->upload);
  add_bytes (b, "download_bytes", &r->download);
  json_builder_set_member_name (b, "retransmits");
  json_builder_add_int_value (b, r->upload.retransmits + r->download.retransmits);
  add_rtt_ms (b, "rtt_ms", headline_rtt (&r->upload, &r->download));
  add_flow (b, "upload", &r->upload, r->elapsed_s);
  add_flow (b, "download", &r->download, r->elapsed_s);
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
    add_sample (b, &g_array_index (r->samples, WsSample, i));
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

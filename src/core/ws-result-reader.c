/* ws-result-reader.c — a result read back from its JSON, which is untrusted
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
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>

#include "ws-address.h"
#include "ws-result.h"

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

/* A phase in ms, or null (-1): it did not happen. */
static gdouble
get_phase_ms (JsonObject  *o,
              const char  *key,
              GError     **error)
{
  gdouble ms;

  if (get_node (o, key, error) == NULL)
    return -1;
  ms = get_span (o, key, error);
  if (ms < 0)
    set_invalid (error, key, N_("is out of range"));
  return ms;
}

/* Text of a bounded length: a URL or a name, never a whole file. */
static char *
get_bounded_string (JsonObject  *o,
                    const char  *key,
                    gsize        max,
                    GError     **error)
{
  const char *str = get_string (o, key, error);

  return str != NULL ? g_strndup (str, max) : NULL;
}

/* The rates are written again from the flows: only the rest is read. */
static void
read_http (JsonObject  *summary,
           WsResult    *r,
           GError     **error)
{
  JsonObject *o = get_object (summary, "http", error);
  WsHttpSummary *h;

  if (o == NULL)
    return;
  h = r->http = ws_http_summary_new ();
  h->url = get_bounded_string (o, "url", 8192, error);
  h->status = get_uint (o, "status", 999, 0, error);
  h->http_version = get_bounded_string (o, "http_version", 16, error);
  h->tls_version = get_bounded_string (o, "tls_version", 16, error);
  h->tls_cipher = get_bounded_string (o, "tls_cipher", 128, error);
  h->remote_address = get_address (o, "remote_address", error);
  h->dns_ms = get_phase_ms (o, "dns_ms", error);
  h->connect_ms = get_phase_ms (o, "connect_ms", error);
  h->tls_ms = get_phase_ms (o, "tls_ms", error);
  h->ttfb_ms = get_phase_ms (o, "ttfb_ms", error);
  h->transfer_ms = get_phase_ms (o, "transfer_ms", error);
  h->body_bytes = get_uint (o, "body_bytes", G_MAXINT64, 0, error);
  h->requests = get_uint (o, "requests", G_MAXINT64, 0, error);
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
  if (r->mode == WS_TEST_HTTP)
    read_http (o, r, error);
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
  /* Optional and nullable: unknown in older results and where the server
   * did not say; a count when present. */
  if (get_node (o, "server_tests", error) != NULL)
    r->server_tests = get_uint (o, "server_tests", G_MAXINT, 0, error);
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
/* Parses JSON text from a file or a database, which may be hostile. */
JsonNode *
ws_result_json_parse (const char  *json,
                      GError     **error)
{
  return ws_json_parse (json, error);
}

WsResult *
ws_result_new_from_json_string (const char  *json,
                                GError     **error)
{
  g_autoptr(JsonNode) root = ws_result_json_parse (json, error);

  return root != NULL ? ws_result_new_from_json (root, error) : NULL;
}

/* ws-report.c — one finished test as an agent reports it and a store keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ws-json.h"
#include "ws-report.h"
#include "ws-result-json.h"
#include "ws-result-reader.h"

G_DEFINE_BOXED_TYPE (WsReport, ws_report, ws_report_copy, ws_report_free)

/* The column names, which are the schema's (docs/MONITORING.md). */
static const char *const number_columns[WS_REPORT_N_NUMBERS] = {
  [WS_REPORT_DOWNLOAD_BPS] = "download_bps",
  [WS_REPORT_UPLOAD_BPS] = "upload_bps",
  [WS_REPORT_IDLE_P50_MS] = "idle_latency_p50_ms",
  [WS_REPORT_IDLE_P90_MS] = "idle_latency_p90_ms",
  [WS_REPORT_IDLE_P99_MS] = "idle_latency_p99_ms",
  [WS_REPORT_LOADED_P50_MS] = "loaded_latency_p50_ms",
  [WS_REPORT_LOADED_P90_MS] = "loaded_latency_p90_ms",
  [WS_REPORT_LOADED_P99_MS] = "loaded_latency_p99_ms",
  [WS_REPORT_RR_P50_MS] = "latency_p50_ms",
  [WS_REPORT_RR_P90_MS] = "latency_p90_ms",
  [WS_REPORT_RR_P99_MS] = "latency_p99_ms",
  [WS_REPORT_LOSS_PERCENT] = "loss_percent",
};

const char *
ws_report_number_column (WsReportNumber number)
{
  g_return_val_if_fail (number < WS_REPORT_N_NUMBERS, NULL);
  return number_columns[number];
}

/* The canonical form of a 128-bit id: a UUID in lowercase, so "A0…" and
 * "a0…" are one report. NULL when @id is not a UUID. */
char *
ws_report_id_normalize (const char *id)
{
  if (id == NULL || !g_uuid_string_is_valid (id))
    return NULL;
  return g_ascii_strdown (id, -1);
}

/* @id is normalized by the store, not here: a report from the wire keeps
 * what it said until a store judges it. */
WsReport *
ws_report_new (const char *id,
               const char *agent,
               WsResult   *result)
{
  WsReport *report;

  g_return_val_if_fail (result != NULL, NULL);

  report = g_new0 (WsReport, 1);
  report->id = g_strdup (id);
  report->agent = g_strdup (agent);
  /* What the server told the client, unless the caller knows better. */
  report->server_tests = result->server_tests;
  report->result = ws_result_ref (result);
  return report;
}

WsReport *
ws_report_copy (const WsReport *report)
{
  WsReport *copy = g_memdup2 (report, sizeof *report);

  copy->id = g_strdup (report->id);
  copy->agent = g_strdup (report->agent);
  copy->local_address = g_strdup (report->local_address);
  copy->seen_address = g_strdup (report->seen_address);
  copy->error = g_strdup (report->error);
  copy->result = report->result ? ws_result_ref (report->result) : NULL;
  return copy;
}

void
ws_report_free (WsReport *report)
{
  if (report == NULL)
    return;
  g_free (report->id);
  g_free (report->agent);
  g_free (report->local_address);
  g_free (report->seen_address);
  g_free (report->error);
  g_clear_pointer (&report->result, ws_result_unref);
  g_free (report);
}

static void
get_percentiles (JsonObject *summary,
                 const char *key,
                 gdouble    *p50_p90_p99)
{
  JsonNode *node = summary ? json_object_get_member (summary, key) : NULL;
  JsonObject *o = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  p50_p90_p99[0] = ws_json_number (o, "p50");
  p50_p90_p99[1] = ws_json_number (o, "p90");
  p50_p90_p99[2] = ws_json_number (o, "p99");
}

/* Taken from @result_json (the report's result as ws_result_to_json()
 * wrote it), so the columns agree with the stored JSON to the last bit. */
void
ws_report_get_figures (const WsReport  *report,
                       JsonNode        *result_json,
                       WsReportFigures *figures)
{
  WsResult *r = report->result;
  JsonObject *root = json_node_get_object (result_json);
  JsonNode *node = json_object_get_member (root, "summary");
  JsonObject *summary = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  gdouble *n = figures->numbers;

  figures->start_time_us = r->start_time
                           ? g_date_time_to_unix (r->start_time) * G_USEC_PER_SEC
                             + g_date_time_get_microsecond (r->start_time)
                           : g_get_real_time ();
  figures->mode = r->mode;
  figures->failed = report->error != NULL;
  n[WS_REPORT_DOWNLOAD_BPS] = ws_json_number (summary, "download_bps");
  n[WS_REPORT_UPLOAD_BPS] = ws_json_number (summary, "upload_bps");
  get_percentiles (summary, "idle_latency_ms", &n[WS_REPORT_IDLE_P50_MS]);
  get_percentiles (summary, "loaded_latency_ms", &n[WS_REPORT_LOADED_P50_MS]);
  get_percentiles (summary, "latency_ms", &n[WS_REPORT_RR_P50_MS]);
  n[WS_REPORT_LOSS_PERCENT] = ws_json_number (summary, "loss_percent");
}

/* ---- The report on the wire (docs/PROTOCOL.md, section 10.3) ---- */

#define MAX_ADDRESS_LEN 64
#define MAX_ERROR_LEN 1024
#define MAX_SERVER_TESTS 1000000

static void
set_nullable_string (JsonBuilder *b,
                     const char  *key,
                     const char  *value)
{
  json_builder_set_member_name (b, key);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

/* The envelope: who, from where, how busy, and the one result schema. */
char *
ws_report_to_json (const WsReport *report)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_builder_begin_object (b);
  set_nullable_string (b, "id", report->id);
  set_nullable_string (b, "agent", report->agent);
  set_nullable_string (b, "local_address", report->local_address);
  set_nullable_string (b, "seen_address", report->seen_address);
  json_builder_set_member_name (b, "server_tests");
  if (report->server_tests >= 0)
    json_builder_add_int_value (b, report->server_tests);
  else
    json_builder_add_null_value (b);
  set_nullable_string (b, "error", report->error);
  json_builder_set_member_name (b, "result");
  json_builder_add_value (b, ws_result_to_json (report->result));
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gboolean
reject (GError    **error,
        const char *format,
        ...) G_GNUC_PRINTF (2, 3);

static gboolean
reject (GError    **error,
        const char *format,
        ...)
{
  va_list args;

  if (error == NULL)
    return FALSE;
  va_start (args, format);
  *error = g_error_new_valist (G_IO_ERROR, G_IO_ERROR_INVALID_DATA, format, args);
  va_end (args);
  return FALSE;
}

/* A string member, or NULL for a missing or null one; FALSE for anything
 * else or a string longer than @max bytes. */
static gboolean
get_string (JsonObject  *o,
            const char  *key,
            gsize        max,
            const char **value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (o, key);

  *value = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return reject (error, "“%s” is not a string", key);
  *value = json_node_get_string (node);
  if (strlen (*value) > max)
    return reject (error, "“%s” is longer than %" G_GSIZE_FORMAT " bytes", key, max);
  return TRUE;
}

/* The key-name rule of AUTH (section 3.17), so a report names only an
 * agent that could have a key. */
static gboolean
agent_name_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (*p < 0x21 || *p > 0x7e || *p == ':')
      return FALSE;
  return TRUE;
}

static gboolean
get_server_tests (JsonObject *o,
                  gint       *value,
                  GError    **error)
{
  JsonNode *node = json_object_get_member (o, "server_tests");
  gint64 n;

  *value = -1;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (json_node_get_value_type (node) != G_TYPE_INT64)
    return reject (error, "“server_tests” is not an integer");
  n = json_node_get_int (node);
  if (n < 0 || n > MAX_SERVER_TESTS)
    return reject (error, "“server_tests” of %" G_GINT64_FORMAT " is outside 0–%d", n, MAX_SERVER_TESTS);
  *value = n;
  return TRUE;
}

static WsReport *
report_from_object (JsonObject *o,
                    GError    **error)
{
  const char *id, *agent, *local, *seen, *failure;
  JsonNode *result_node = json_object_get_member (o, "result");
  g_autoptr(WsResult) result = NULL;
  g_autoptr(GError) local_error = NULL;
  gint server_tests;
  WsReport *report;

  if (!get_string (o, "id", 64, &id, error) || !get_string (o, "agent", 64, &agent, error)
      || !get_string (o, "local_address", MAX_ADDRESS_LEN, &local, error)
      || !get_string (o, "seen_address", MAX_ADDRESS_LEN, &seen, error)
      || !get_string (o, "error", MAX_ERROR_LEN, &failure, error)
      || !get_server_tests (o, &server_tests, error))
    return NULL;
  if (id == NULL || !g_uuid_string_is_valid (id))
    return reject (error, "The report has no id (a UUID)"), NULL;
  if (agent != NULL && !agent_name_valid (agent))
    return reject (error, "“agent” is not a key name"), NULL;
  if (failure != NULL && !g_utf8_validate (failure, -1, NULL))
    return reject (error, "“error” is not UTF-8"), NULL;
  if (result_node == NULL || !JSON_NODE_HOLDS_OBJECT (result_node))
    return reject (error, "The report has no result"), NULL;
  result = ws_result_new_from_json (result_node, &local_error);
  if (result == NULL)
    return reject (error, "The result is not valid: %s", local_error->message), NULL;
  report = ws_report_new (id, agent, result);
  report->local_address = g_strdup (local);
  report->seen_address = g_strdup (seen);
  report->server_tests = server_tests;
  report->error = g_strdup (failure);
  return report;
}

/**
 * ws_report_new_from_json:
 * @json: @len bytes from a peer, not NUL-terminated
 *
 * Judges a report from the wire: every field's type and bounds, the id a
 * UUID, the result one that ws_result_new_from_json() takes. Unknown
 * members are ignored, so a newer agent's report still reads.
 *
 * Returns: (transfer full): the report, or NULL with a reason (for the
 * agent's ACK) in G_IO_ERROR_INVALID_DATA.
 */
WsReport *
ws_report_new_from_json (const char  *json,
                         gsize        len,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = ws_json_parse_bytes (json, len, &local_error);

  if (root == NULL)
    return reject (error, "The report is not JSON: %s", local_error->message), NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return reject (error, "The report is not a JSON object"), NULL;
  return report_from_object (json_node_get_object (root), error);
}

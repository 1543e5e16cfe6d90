/* ws-report.c — one finished test as an agent reports it and a store keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ws-report.h"

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

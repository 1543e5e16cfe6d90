/* ws-analysis-json.c — an analysis as JSON (a contract: README.md,
 * "Analysis JSON") and as CSV (one row per group)
 *
 * Every number not measured is null in JSON and an empty field in CSV.
 * Times are ISO 8601 in the analysis's time zone, with its offset.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "ws-analysis.h"
#include "ws-json.h"

static void
add_number (JsonBuilder *b,
            const char  *key,
            gdouble      value)
{
  json_builder_set_member_name (b, key);
  if (isnan (value) || isinf (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

static void
add_int (JsonBuilder *b,
         const char  *key,
         gint64       value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_int_value (b, value);
}

static void
add_string (JsonBuilder *b,
            const char  *key,
            const char  *value)
{
  json_builder_set_member_name (b, key);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
add_time (JsonBuilder      *b,
          const WsAnalysis *a,
          const char       *key,
          gint64            unix_s)
{
  g_autofree char *text = ws_analysis_format_time (a, unix_s);

  add_string (b, key, text);
}

static void
add_spread (JsonBuilder            *b,
            const char             *key,
            const WsAnalysisSpread *s)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  add_number (b, "mean", s->mean);
  add_number (b, "min", s->min);
  add_number (b, "max", s->max);
  add_number (b, "p50", s->p50);
  add_number (b, "p95", s->p95);
  json_builder_end_object (b);
}

/* An object of two or three numbers under their names. */
static void
add_figures (JsonBuilder        *b,
             const char         *key,
             const char *const  *names,
             const gdouble      *values,
             guint               n)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_object (b);
  for (guint i = 0; i < n; i++)
    add_number (b, names[i], values[i]);
  json_builder_end_object (b);
}

static void
add_group (JsonBuilder           *b,
           const WsAnalysis      *a,
           const WsAnalysisGroup *g)
{
  static const char *const pair[] = { "p50", "p95" };
  static const char *const loss[] = { "mean", "max" };
  gdouble idle[] = { g->idle_p50_ms, g->idle_p95_ms };
  gdouble loaded[] = { g->loaded_p50_ms, g->loaded_p95_ms };
  gdouble lost[] = { g->loss_mean, g->loss_max };

  json_builder_begin_object (b);
  add_string (b, "agent", g->agent);
  add_string (b, "target", g->target);
  add_string (b, "test", g->test);
  add_int (b, "count", g->count);
  add_int (b, "failed", g->failed);
  add_spread (b, "download_bps", &g->download_bps);
  add_spread (b, "upload_bps", &g->upload_bps);
  add_figures (b, "idle_latency_ms", pair, idle, 2);
  add_figures (b, "loaded_latency_ms", pair, loaded, 2);
  add_figures (b, "loss_percent", loss, lost, 2);
  add_time (b, a, "first", g->first_us / G_USEC_PER_SEC);
  add_time (b, a, "last", g->last_us / G_USEC_PER_SEC);
  json_builder_end_object (b);
}

static void
add_busiest (JsonBuilder      *b,
             const WsAnalysis *a)
{
  json_builder_set_member_name (b, "busiest_hour");
  if (a->busiest.hour < 0)
    {
      json_builder_add_null_value (b);
      return;
    }
  json_builder_begin_object (b);
  add_int (b, "hour", a->busiest.hour);
  add_int (b, "results", a->busiest.results);
  add_number (b, "download_bps_p50", a->busiest.download_p50);
  add_number (b, "loaded_latency_ms_p50", a->busiest.loaded_p50_ms);
  json_builder_end_object (b);
}

/* @cells: gdouble[7][24], or gint64[7][24] when @counts. */
static void
add_grid (JsonBuilder   *b,
          const char    *key,
          gconstpointer  cells,
          gboolean       counts)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (guint d = 0; d < 7; d++)
    {
      json_builder_begin_array (b);
      for (guint h = 0; h < 24; h++)
        {
          gdouble v = counts ? NAN : ((const gdouble (*)[24]) cells)[d][h];

          if (counts)
            json_builder_add_int_value (b, ((const gint64 (*)[24]) cells)[d][h]);
          else if (isnan (v))
            json_builder_add_null_value (b);
          else
            json_builder_add_double_value (b, v);
        }
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

static void
add_heatmap (JsonBuilder      *b,
             const WsAnalysis *a)
{
  json_builder_set_member_name (b, "heatmap");
  json_builder_begin_object (b);
  add_grid (b, "download_bps", a->heat_download, FALSE);
  add_grid (b, "loaded_latency_ms", a->heat_loaded_ms, FALSE);
  add_grid (b, "results", a->heat_results, TRUE);
  json_builder_end_object (b);
}

static void
add_daily (JsonBuilder      *b,
           const WsAnalysis *a)
{
  static const char *const spread[] = { "p10", "p50", "p90" };

  json_builder_set_member_name (b, "daily");
  json_builder_begin_array (b);
  for (guint i = 0; i < a->days->len; i++)
    {
      const WsAnalysisDay *d = &g_array_index (a->days, WsAnalysisDay, i);
      g_autofree char *date = ws_analysis_format_day (d->day);

      json_builder_begin_object (b);
      add_string (b, "date", date);
      add_int (b, "results", d->results);
      add_int (b, "failed", d->failed);
      add_figures (b, "download_bps", spread, d->download, 3);
      add_figures (b, "upload_bps", spread, d->upload, 3);
      add_figures (b, "loaded_latency_ms", spread, d->loaded_ms, 3);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
add_names (JsonBuilder     *b,
           const char      *key,
           const GPtrArray *names)
{
  json_builder_set_member_name (b, key);
  json_builder_begin_array (b);
  for (guint i = 0; i < names->len; i++)
    json_builder_add_string_value (b, g_ptr_array_index (names, i));
  json_builder_end_array (b);
}

static void
add_period (JsonBuilder            *b,
            const WsAnalysis       *a,
            const WsAnalysisPeriod *p)
{
  json_builder_begin_object (b);
  add_time (b, a, "start", p->start_s);
  add_time (b, a, "end", p->end_s);
  add_string (b, "kind", p->shared ? "shared" : "local");
  add_number (b, "depth", p->depth);
  add_names (b, "agents", p->agents);
  add_names (b, "targets", p->targets);
  json_builder_set_member_name (b, "spans");
  json_builder_begin_array (b);
  for (guint i = 0; i < p->spans->len; i++)
    {
      const WsAnalysisSpan *s = g_ptr_array_index (p->spans, i);

      json_builder_begin_object (b);
      add_string (b, "agent", s->agent);
      add_string (b, "target", s->target);
      add_string (b, "test", s->test);
      add_time (b, a, "start", s->start_s);
      add_time (b, a, "end", s->end_s);
      add_int (b, "hours", s->hours);
      add_number (b, "depth", s->depth);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

static void
add_header (JsonBuilder      *b,
            const WsAnalysis *a)
{
  add_string (b, "time_zone", a->tz_name);
  if (a->options.since_us == G_MININT64)
    add_string (b, "since", NULL);
  else
    add_time (b, a, "since", a->options.since_us / G_USEC_PER_SEC);
  add_string (b, "agent", a->options.agent);
  add_string (b, "target", a->options.target);
  add_number (b, "congestion_fraction", a->options.fraction);
  add_int (b, "results", a->n_results);
  if (a->n_results == 0)
    {
      add_string (b, "first", NULL);
      add_string (b, "last", NULL);
      return;
    }
  add_time (b, a, "first", a->first_us / G_USEC_PER_SEC);
  add_time (b, a, "last", a->last_us / G_USEC_PER_SEC);
}

char *
ws_analysis_to_json (const WsAnalysis *a)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  add_header (b, a);
  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (guint i = 0; i < a->groups->len; i++)
    add_group (b, a, &g_array_index (a->groups, WsAnalysisGroup, i));
  json_builder_end_array (b);
  add_busiest (b, a);
  add_heatmap (b, a);
  add_daily (b, a);
  json_builder_set_member_name (b, "congestion");
  json_builder_begin_array (b);
  for (guint i = 0; i < a->periods->len; i++)
    add_period (b, a, g_ptr_array_index (a->periods, i));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  ws_json_fix_doubles (root);
  return ws_json_to_pretty_string (root, NULL);
}

/* CSV -------------------------------------------------------------- */

static const char csv_header[] =
  "agent,target,test,count,failed,"
  "download_bps_mean,download_bps_min,download_bps_max,download_bps_p50,download_bps_p95,"
  "upload_bps_mean,upload_bps_min,upload_bps_max,upload_bps_p50,upload_bps_p95,"
  "idle_latency_ms_p50,idle_latency_ms_p95,loaded_latency_ms_p50,loaded_latency_ms_p95,"
  "loss_percent_mean,loss_percent_max,first,last\n";

/* RFC 4180: quoted when it holds a comma, a quote or a line break. */
static void
csv_text (GString    *out,
          const char *text)
{
  if (text == NULL || strpbrk (text, ",\"\r\n") == NULL)
    {
      g_string_append (out, text ? text : "");
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_numbers (GString       *out,
             const gdouble *values,
             guint          n)
{
  for (guint i = 0; i < n; i++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      if (!isnan (values[i]))
        g_string_append (out, g_ascii_dtostr (buf, sizeof buf, values[i]));
      g_string_append_c (out, ',');
    }
}

static void
csv_group (GString               *out,
           const WsAnalysis      *a,
           const WsAnalysisGroup *g)
{
  const WsAnalysisSpread *d = &g->download_bps, *u = &g->upload_bps;
  gdouble numbers[] = {
    d->mean, d->min, d->max, d->p50, d->p95, u->mean, u->min, u->max, u->p50, u->p95,
    g->idle_p50_ms, g->idle_p95_ms, g->loaded_p50_ms, g->loaded_p95_ms, g->loss_mean, g->loss_max,
  };
  g_autofree char *first = ws_analysis_format_time (a, g->first_us / G_USEC_PER_SEC);
  g_autofree char *last = ws_analysis_format_time (a, g->last_us / G_USEC_PER_SEC);

  csv_text (out, g->agent);
  g_string_append_c (out, ',');
  csv_text (out, g->target);
  g_string_append_printf (out, ",%s,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",",
                          g->test, g->count, g->failed);
  csv_numbers (out, numbers, G_N_ELEMENTS (numbers));
  g_string_append_printf (out, "%s,%s\n", first, last);
}

char *
ws_analysis_to_csv (const WsAnalysis *a)
{
  GString *out = g_string_new (csv_header);

  for (guint i = 0; i < a->groups->len; i++)
    csv_group (out, a, &g_array_index (a->groups, WsAnalysisGroup, i));
  return g_string_free (out, FALSE);
}

/* ws-analysis.c — what a store's reports say over a period
 *
 * Five queries (ws-analysis-sql.c), each one GROUP BY in the database,
 * run side by side on their own connections; this file only reads their
 * few rows into the model. The same queries read a collector's store
 * (SQLite or PostgreSQL) and the app's history, whose results are shown
 * to them with the reports' columns (ws_history_analysis_source()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ws-analysis-private.h"
#include "ws-history.h"
#include "ws-store-private.h"

typedef struct {
  WsAnalysisQuery query;
  WsStore *store;
  char *sql;
  const WsAnalysisSql *source;
  WsStoreRows *rows;
  GError *error;
} Job;

void
ws_analysis_free (WsAnalysis *analysis)
{
  if (analysis == NULL)
    return;
  g_free (analysis->options.agent);
  g_free (analysis->options.target);
  g_clear_pointer (&analysis->options.tz, g_time_zone_unref);
  g_free (analysis->location);
  g_free (analysis->tz_name);
  if (analysis->groups != NULL)
    for (guint i = 0; i < analysis->groups->len; i++)
      {
        WsAnalysisGroup *g = &g_array_index (analysis->groups, WsAnalysisGroup, i);

        g_free (g->agent);
        g_free (g->target);
        g_free (g->test);
      }
  g_clear_pointer (&analysis->groups, g_array_unref);
  g_clear_pointer (&analysis->days, g_array_unref);
  g_clear_pointer (&analysis->periods, g_ptr_array_unref);
  g_free (analysis);
}

static WsAnalysis *
analysis_new (const WsAnalysisOptions *options)
{
  WsAnalysis *a = g_new0 (WsAnalysis, 1);

  a->options = *options;
  a->options.agent = g_strdup (options->agent);
  a->options.target = g_strdup (options->target);
  a->options.tz = options->tz ? g_time_zone_ref (options->tz) : g_time_zone_new_local ();
  a->tz_name = g_strdup (g_time_zone_get_identifier (a->options.tz));
  a->groups = g_array_new (FALSE, TRUE, sizeof (WsAnalysisGroup));
  a->days = g_array_new (FALSE, TRUE, sizeof (WsAnalysisDay));
  a->periods = g_ptr_array_new_with_free_func ((GDestroyNotify) _ws_analysis_period_free);
  a->busiest.hour = -1;
  for (guint d = 0; d < 7; d++)
    for (guint h = 0; h < 24; h++)
      a->heat_download[d][h] = a->heat_loaded_ms[d][h] = NAN;
  return a;
}

/* A missing file is an error here, not a new store: an analysis reads. */
static WsStore *
open_source (const char  *location,
             char       **source,
             GError     **error)
{
  gboolean is_history = FALSE;
  WsStore *store;

  if (g_str_has_prefix (location, "postgresql://") || g_str_has_prefix (location, "postgres://"))
    {
      store = ws_store_open (location, error);
      *source = g_strdup ("reports");
      return store;
    }
  if (!g_file_test (location, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   /* Translators: a file name. */
                   _("Store “%s”: no such file"), location);
      return NULL;
    }
  store = ws_sqlite_store_open_readonly (location, &is_history, error);
  if (store != NULL)
    *source = is_history ? ws_history_analysis_source (g_get_host_name ()) : g_strdup ("reports");
  return store;
}

static gpointer
run_job (gpointer data)
{
  Job *job = data;
  gint64 start = g_get_monotonic_time ();

  job->rows = ws_store_query (job->store, job->sql, job->source->params,
                              job->source->n_params, &job->error);
  g_debug ("analysis query %d: %.3f s", job->query,
           (g_get_monotonic_time () - start) / (gdouble) G_USEC_PER_SEC);
  return NULL;
}

/* All queries at once: each is a pass over the period's rows, and a
 * store serves them on separate connections. */
static gboolean
run_queries (WsStore              *store,
             const WsAnalysisSql  *sql,
             WsStoreRows         **rows,
             GError              **error)
{
  Job jobs[WS_ANALYSIS_N_QUERIES] = { { 0 } };
  GThread *threads[WS_ANALYSIS_N_QUERIES];
  gboolean ok = TRUE;

  for (guint q = 0; q < WS_ANALYSIS_N_QUERIES; q++)
    {
      jobs[q] = (Job) { q, store, _ws_analysis_query_sql (sql, q), sql };
      threads[q] = g_thread_new ("ws-analysis", run_job, &jobs[q]);
    }
  for (guint q = 0; q < WS_ANALYSIS_N_QUERIES; q++)
    {
      g_thread_join (threads[q]);
      g_free (jobs[q].sql);
      rows[q] = jobs[q].rows;
      if (jobs[q].error != NULL && ok)
        {
          g_propagate_error (error, jobs[q].error);
          ok = FALSE;
        }
      else
        g_clear_error (&jobs[q].error);
    }
  return ok;
}

static void
read_spread (const WsStoreRows *rows,
             guint              r,
             guint              c,
             WsAnalysisSpread  *s)
{
  s->mean = ws_store_rows_get_double (rows, r, c);
  s->min = ws_store_rows_get_double (rows, r, c + 1);
  s->max = ws_store_rows_get_double (rows, r, c + 2);
  s->p50 = ws_store_rows_get_double (rows, r, c + 3);
  s->p95 = ws_store_rows_get_double (rows, r, c + 4);
}

static int
compare_groups (gconstpointer a,
                gconstpointer b)
{
  const WsAnalysisGroup *x = a, *y = b;
  int c = strcmp (x->agent, y->agent);

  if (c == 0)
    c = strcmp (x->target, y->target);
  return c != 0 ? c : strcmp (x->test, y->test);
}

/* Sorted here, byte by byte: the databases' collations differ. */
static void
read_groups (WsAnalysis        *a,
             const WsStoreRows *rows)
{
  for (guint r = 0; r < ws_store_rows_get_n_rows (rows); r++)
    {
      WsAnalysisGroup g = { 0 };

      g.agent = g_strdup (ws_store_rows_get_text (rows, r, 0));
      g.target = g_strdup (ws_store_rows_get_text (rows, r, 1));
      g.test = g_strdup (ws_store_rows_get_text (rows, r, 2));
      g.count = ws_store_rows_get_int (rows, r, 3);
      g.failed = ws_store_rows_get_int (rows, r, 4);
      read_spread (rows, r, 5, &g.download_bps);
      read_spread (rows, r, 10, &g.upload_bps);
      g.idle_p50_ms = ws_store_rows_get_double (rows, r, 15);
      g.idle_p95_ms = ws_store_rows_get_double (rows, r, 16);
      g.loaded_p50_ms = ws_store_rows_get_double (rows, r, 17);
      g.loaded_p95_ms = ws_store_rows_get_double (rows, r, 18);
      g.loss_mean = ws_store_rows_get_double (rows, r, 19);
      g.loss_max = ws_store_rows_get_double (rows, r, 20);
      g.first_us = ws_store_rows_get_int (rows, r, 21);
      g.last_us = ws_store_rows_get_int (rows, r, 22);
      g_array_append_val (a->groups, g);
    }
  g_array_sort (a->groups, compare_groups);
}

static void
read_heatmap (WsAnalysis        *a,
              const WsStoreRows *rows)
{
  for (guint r = 0; r < ws_store_rows_get_n_rows (rows); r++)
    {
      gint64 d = ws_store_rows_get_int (rows, r, 0), h = ws_store_rows_get_int (rows, r, 1);

      if (d < 0 || d > 6 || h < 0 || h > 23)
        continue;
      a->heat_results[d][h] = ws_store_rows_get_int (rows, r, 2);
      a->heat_download[d][h] = ws_store_rows_get_double (rows, r, 3);
      a->heat_loaded_ms[d][h] = ws_store_rows_get_double (rows, r, 4);
    }
}

/* x busier than y: lower median throughput; equal, higher latency. Hours
 * without throughput (request/response tests only) by latency alone. */
static gboolean
busier (const WsAnalysisHour *x,
        const WsAnalysisHour *y)
{
  if (y->hour < 0)
    return TRUE;
  if (!isnan (x->download_p50) || !isnan (y->download_p50))
    {
      if (isnan (y->download_p50) != isnan (x->download_p50))
        return isnan (y->download_p50);
      if (x->download_p50 != y->download_p50)
        return x->download_p50 < y->download_p50;
    }
  return !isnan (x->loaded_p50_ms) && (isnan (y->loaded_p50_ms) || x->loaded_p50_ms > y->loaded_p50_ms);
}

static void
read_busiest (WsAnalysis        *a,
              const WsStoreRows *rows)
{
  for (guint r = 0; r < ws_store_rows_get_n_rows (rows); r++)
    {
      WsAnalysisHour h = {
        (gint) ws_store_rows_get_int (rows, r, 0), ws_store_rows_get_int (rows, r, 1),
        ws_store_rows_get_double (rows, r, 2), ws_store_rows_get_double (rows, r, 3),
      };

      if ((!isnan (h.download_p50) || !isnan (h.loaded_p50_ms)) && busier (&h, &a->busiest))
        a->busiest = h;
    }
}

static int
compare_days (gconstpointer a,
              gconstpointer b)
{
  gint64 x = ((const WsAnalysisDay *) a)->day, y = ((const WsAnalysisDay *) b)->day;

  return (x > y) - (x < y);
}

static void
read_daily (WsAnalysis        *a,
            const WsStoreRows *rows)
{
  for (guint r = 0; r < ws_store_rows_get_n_rows (rows); r++)
    {
      WsAnalysisDay d = {
        ws_store_rows_get_int (rows, r, 0), ws_store_rows_get_int (rows, r, 1),
        ws_store_rows_get_int (rows, r, 2),
      };

      for (guint i = 0; i < 3; i++)
        {
          d.download[i] = ws_store_rows_get_double (rows, r, 3 + i);
          d.upload[i] = ws_store_rows_get_double (rows, r, 6 + i);
          d.loaded_ms[i] = ws_store_rows_get_double (rows, r, 9 + i);
        }
      g_array_append_val (a->days, d);
    }
  g_array_sort (a->days, compare_days);
}

/* The period's size and ends, for the time zone's changes. */
static gboolean
read_range (WsAnalysis          *a,
            WsStore             *store,
            const WsAnalysisSql *sql,
            GError             **error)
{
  g_autofree char *text = _ws_analysis_range_sql (sql);
  g_autoptr(WsStoreRows) rows = ws_store_query (store, text, sql->params, sql->n_params, error);

  if (rows == NULL)
    return FALSE;
  a->n_results = ws_store_rows_get_int (rows, 0, 0);
  a->first_us = ws_store_rows_get_int (rows, 0, 1);
  a->last_us = ws_store_rows_get_int (rows, 0, 2);
  return TRUE;
}

static gboolean
analyze (WsAnalysis  *a,
         WsStore     *store,
         const char  *source,
         GError     **error)
{
  WsStoreRows *rows[WS_ANALYSIS_N_QUERIES] = { NULL };
  WsAnalysisSql sql;
  gboolean ok;

  _ws_analysis_sql_init (&sql, ws_store_get_dialect (store), source, &a->options);
  ok = read_range (a, store, &sql, error);
  if (ok && a->n_results > 0)
    {
      _ws_analysis_sql_set_tz (&sql, a->options.tz, a->first_us / G_USEC_PER_SEC - 86400,
                               a->last_us / G_USEC_PER_SEC + 86400);
      ok = run_queries (store, &sql, rows, error);
    }
  if (ok && a->n_results > 0)
    {
      read_groups (a, rows[WS_ANALYSIS_Q_GROUPS]);
      read_heatmap (a, rows[WS_ANALYSIS_Q_HEATMAP]);
      read_busiest (a, rows[WS_ANALYSIS_Q_HOURS]);
      read_daily (a, rows[WS_ANALYSIS_Q_DAILY]);
      g_ptr_array_unref (a->periods);
      a->periods = _ws_analysis_periods (rows[WS_ANALYSIS_Q_CONGESTION], a->options.tz);
    }
  for (guint q = 0; q < WS_ANALYSIS_N_QUERIES; q++)
    g_clear_pointer (&rows[q], ws_store_rows_free);
  _ws_analysis_sql_clear (&sql);
  return ok;
}

/* @location: a store (a file or a postgresql:// URI) or the app's history
 * file. NULL and one line in @error when it cannot be read. */
WsAnalysis *
ws_analysis_run (const char               *location,
                 const WsAnalysisOptions  *options,
                 GError                  **error)
{
  g_autoptr(WsAnalysis) a = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autofree char *source = NULL;

  g_return_val_if_fail (location != NULL && options != NULL, NULL);
  g_return_val_if_fail (options->fraction > 0 && options->fraction < 1, NULL);

  store = open_source (location, &source, error);
  if (store == NULL)
    return NULL;
  a = analysis_new (options);
  a->location = ws_store_display_location (location);
  if (!analyze (a, store, source, error))
    return NULL;
  return g_steal_pointer (&a);
}

/* @unix_s in the analysis's time zone, ISO 8601 with its offset. */
char *
ws_analysis_format_time (const WsAnalysis *analysis,
                         gint64            unix_s)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_s);
  g_autoptr(GDateTime) local = utc ? g_date_time_to_timezone (utc, analysis->options.tz) : NULL;

  return local ? g_date_time_format (local, "%Y-%m-%dT%H:%M:%S%:z") : NULL;
}

/* A local day number as YYYY-MM-DD. */
char *
ws_analysis_format_day (gint64 day)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (day * 86400);

  return date ? g_date_time_format (date, "%Y-%m-%d") : NULL;
}

/* "30m", "12h", "7d", "2w" before @now; or a date (midnight in @tz) or an
 * ISO 8601 date and time. */
gboolean
ws_analysis_parse_since (const char *text,
                         GDateTime  *now,
                         GTimeZone  *tz,
                         gint64     *since_us)
{
  static const struct { char unit; gint64 s; } units[] = {
    { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 7 * 86400 },
  };
  g_autoptr(GDateTime) when = NULL;
  char *end = NULL;
  guint64 n = g_ascii_strtoull (text, &end, 10);
  int y, m, d;
  char tail;

  for (guint i = 0; end != text && i < G_N_ELEMENTS (units); i++)
    if (end[0] == units[i].unit && end[1] == '\0' && n <= 100 * 366)
      {
        *since_us = g_date_time_to_unix (now) * G_USEC_PER_SEC - (gint64) n * units[i].s * G_USEC_PER_SEC;
        return TRUE;
      }
  if (sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 && strlen (text) == 10)
    when = g_date_time_new (tz, y, m, d, 0, 0, 0);
  else
    when = g_date_time_new_from_iso8601 (text, tz);
  if (when == NULL)
    return FALSE;
  *since_us = g_date_time_to_unix (when) * G_USEC_PER_SEC + g_date_time_get_microsecond (when);
  return TRUE;
}

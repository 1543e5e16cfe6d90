/* ws-analysis-congestion.c — congested hours into periods
 *
 * The database finds the congested hours (ws-analysis-sql.c: a path's
 * hour below its fraction of the 7-day median for that hour, loaded
 * latency above its own). They are few by construction; here each path's
 * consecutive hours become a span, and spans that overlap in time become
 * one period: "shared" when it touches more than one agent (the target's
 * side or the core), else "local".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "ws-analysis-private.h"

enum { C_AGENT, C_TARGET, C_TEST, C_HOUR, C_DL, C_BASE_DL };

static void
span_free (WsAnalysisSpan *span)
{
  if (span == NULL)
    return;
  g_free (span->agent);
  g_free (span->target);
  g_free (span->test);
  g_free (span);
}

void
_ws_analysis_period_free (WsAnalysisPeriod *period)
{
  g_ptr_array_unref (period->agents);
  g_ptr_array_unref (period->targets);
  g_ptr_array_unref (period->spans);
  g_free (period);
}

/* A local hour number (hours since the epoch in local time) as UTC. */
static gint64
local_hour_to_utc (gint64     hour,
                   GTimeZone *tz)
{
  g_autoptr(GDateTime) fields = g_date_time_new_from_unix_utc (hour * 3600);
  g_autoptr(GDateTime) local = g_date_time_new (tz, g_date_time_get_year (fields),
                                                g_date_time_get_month (fields),
                                                g_date_time_get_day_of_month (fields),
                                                g_date_time_get_hour (fields), 0, 0);

  return g_date_time_to_unix (local);
}

static gboolean
same_path (const WsStoreRows *rows,
           guint              a,
           guint              b)
{
  for (guint c = C_AGENT; c <= C_TEST; c++)
    if (g_strcmp0 (ws_store_rows_get_text (rows, a, c), ws_store_rows_get_text (rows, b, c)) != 0)
      return FALSE;
  return TRUE;
}

static int
compare_hours (gconstpointer a,
               gconstpointer b,
               gpointer      data)
{
  const WsStoreRows *sort_rows = data;
  guint x = *(const guint *) a, y = *(const guint *) b;
  gint64 hx, hy;

  for (guint c = C_AGENT; c <= C_TEST; c++)
    {
      int d = g_strcmp0 (ws_store_rows_get_text (sort_rows, x, c),
                         ws_store_rows_get_text (sort_rows, y, c));
      if (d != 0)
        return d;
    }
  hx = ws_store_rows_get_int (sort_rows, x, C_HOUR);
  hy = ws_store_rows_get_int (sort_rows, y, C_HOUR);
  return (hx > hy) - (hx < hy);
}

static gdouble
depth_of (const WsStoreRows *rows,
          guint              r)
{
  return 1 - ws_store_rows_get_double (rows, r, C_DL) / ws_store_rows_get_double (rows, r, C_BASE_DL);
}

/* Each path's runs of consecutive hours. */
static GPtrArray *
make_spans (const WsStoreRows *rows,
            GTimeZone         *tz)
{
  guint n = ws_store_rows_get_n_rows (rows);
  g_autofree guint *order = g_new (guint, n);
  GPtrArray *spans = g_ptr_array_new_with_free_func ((GDestroyNotify) span_free);
  WsAnalysisSpan *span = NULL;
  gint64 last = 0;

  for (guint i = 0; i < n; i++)
    order[i] = i;
  g_qsort_with_data (order, n, sizeof *order, compare_hours, (gpointer) rows);
  for (guint i = 0; i < n; i++)
    {
      guint r = order[i];
      gint64 hour = ws_store_rows_get_int (rows, r, C_HOUR);

      if (span == NULL || hour != last + 1 || !same_path (rows, r, order[i - 1]))
        {
          span = g_new0 (WsAnalysisSpan, 1);
          span->agent = g_strdup (ws_store_rows_get_text (rows, r, C_AGENT));
          span->target = g_strdup (ws_store_rows_get_text (rows, r, C_TARGET));
          span->test = g_strdup (ws_store_rows_get_text (rows, r, C_TEST));
          span->start_s = local_hour_to_utc (hour, tz);
          g_ptr_array_add (spans, span);
        }
      span->end_s = local_hour_to_utc (hour + 1, tz);
      span->hours++;
      span->depth = MAX (span->depth, depth_of (rows, r));
      last = hour;
    }
  return spans;
}

static int
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const WsAnalysisSpan *x = *(WsAnalysisSpan *const *) a, *y = *(WsAnalysisSpan *const *) b;

  if (x->start_s != y->start_s)
    return (x->start_s > y->start_s) - (x->start_s < y->start_s);
  return strcmp (x->agent, y->agent);
}

static void
add_name (GPtrArray  *names,
          const char *name)
{
  if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
    g_ptr_array_add (names, g_strdup (name));
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static WsAnalysisPeriod *
period_new (void)
{
  WsAnalysisPeriod *p = g_new0 (WsAnalysisPeriod, 1);

  p->agents = g_ptr_array_new_with_free_func (g_free);
  p->targets = g_ptr_array_new_with_free_func (g_free);
  p->spans = g_ptr_array_new_with_free_func ((GDestroyNotify) span_free);
  return p;
}

static void
finish_period (WsAnalysisPeriod *p)
{
  g_ptr_array_sort (p->agents, compare_names);
  g_ptr_array_sort (p->targets, compare_names);
  p->shared = p->agents->len > 1;
}

/* @hours: the congestion query's rows (agent, target, test, local hour,
 * its median throughput, the baseline's, …). */
GPtrArray *
_ws_analysis_periods (const WsStoreRows *hours,
                      GTimeZone         *tz)
{
  g_autoptr(GPtrArray) spans = make_spans (hours, tz);
  GPtrArray *periods = g_ptr_array_new_with_free_func ((GDestroyNotify) _ws_analysis_period_free);
  WsAnalysisPeriod *p = NULL;

  g_ptr_array_sort (spans, compare_spans);
  for (guint i = 0; i < spans->len; i++)
    {
      WsAnalysisSpan *s = g_ptr_array_index (spans, i);

      if (p == NULL || s->start_s >= p->end_s)
        {
          if (p != NULL)
            finish_period (p);
          p = period_new ();
          p->start_s = s->start_s;
          g_ptr_array_add (periods, p);
        }
      p->end_s = MAX (p->end_s, s->end_s);
      p->depth = MAX (p->depth, s->depth);
      add_name (p->agents, s->agent);
      add_name (p->targets, s->target);
      g_ptr_array_add (p->spans, g_steal_pointer (&spans->pdata[i]));
    }
  if (p != NULL)
    finish_period (p);
  return periods;
}

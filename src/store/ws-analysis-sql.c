/* ws-analysis-sql.c — the analysis's queries, one text for both stores
 *
 * Every figure is an SQL aggregate over GROUP BY, so what comes back is a
 * few hundred rows whatever the store holds. The two dialects differ in
 * a handful of spellings, written here as @TOKENS: the percentile
 * (PostgreSQL's percentile_cont; SQLite's ws_percentile, the same
 * interpolation in C), the time columns (µs integers in SQLite,
 * timestamptz in PostgreSQL).
 *
 * Local time is the UTC second plus the zone's offset, with the offset's
 * changes in the period (DST) written into the query as a CASE: integer
 * arithmetic both databases do alike, and one time zone database (GLib's)
 * for both.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-analysis-private.h"

/* Each row's figures, NULL where the test failed, and its local time. */
static const char base_sql[] =
  "WITH base AS NOT MATERIALIZED (SELECT agent, target, test, start_time,"
  " CAST(failed AS INTEGER) AS failed,"
  " CASE WHEN failed THEN NULL ELSE download_bps END AS dl,"
  " CASE WHEN failed THEN NULL ELSE upload_bps END AS ul,"
  " CASE WHEN failed THEN NULL ELSE idle_latency_p50_ms END AS idle,"
  " CASE WHEN failed THEN NULL ELSE loaded_latency_p50_ms END AS loaded,"
  " CASE WHEN failed THEN NULL ELSE loss_percent END AS loss,"
  " @LOCAL AS ls"
  " FROM @SOURCE src WHERE @WHERE)";

static const char *const query_sql[WS_ANALYSIS_N_QUERIES] = {
  [WS_ANALYSIS_Q_GROUPS] =
  " SELECT agent, target, test, count(*), sum(failed),"
  " avg(dl), min(dl), max(dl), @PCT(dl, 0.5), @PCT(dl, 0.95),"
  " avg(ul), min(ul), max(ul), @PCT(ul, 0.5), @PCT(ul, 0.95),"
  " @PCT(idle, 0.5), @PCT(idle, 0.95), @PCT(loaded, 0.5), @PCT(loaded, 0.95),"
  " avg(loss), max(loss), @FIRST_US, @LAST_US"
  " FROM base GROUP BY agent, target, test",

  /* Day of week, Monday first: 1970-01-01 was a Thursday. */
  [WS_ANALYSIS_Q_HEATMAP] =
  " SELECT (ls / 86400 + 3) % 7, ls / 3600 % 24, count(*), @PCT(dl, 0.5), @PCT(loaded, 0.5)"
  " FROM base GROUP BY (ls / 86400 + 3) % 7, ls / 3600 % 24",

  [WS_ANALYSIS_Q_HOURS] =
  " SELECT ls / 3600 % 24, count(*), @PCT(dl, 0.5), @PCT(loaded, 0.5)"
  " FROM base GROUP BY ls / 3600 % 24",

  [WS_ANALYSIS_Q_DAILY] =
  " SELECT ls / 86400, count(*), sum(failed),"
  " @PCT(dl, 0.1), @PCT(dl, 0.5), @PCT(dl, 0.9),"
  " @PCT(ul, 0.1), @PCT(ul, 0.5), @PCT(ul, 0.9),"
  " @PCT(loaded, 0.1), @PCT(loaded, 0.5), @PCT(loaded, 0.9)"
  " FROM base GROUP BY ls / 86400",

  /* A path's hour (its median throughput and loaded latency) against the
   * same hour of the 7 days before (the median of their medians, 3 days
   * at least): a moving window. SQLite's ws_percentile is a window
   * function too; PostgreSQL's percentile_cont is not, so there the
   * window gathers the 7 values and only the hours that can be below the
   * baseline (below the fraction of the window's best, above its lowest
   * latency) take their median. */
  [WS_ANALYSIS_Q_CONGESTION] =
  ", b AS (SELECT agent, target, test, ls / 3600 AS hn,"
  " @PCT(dl, 0.5) AS dl, @PCT(loaded, 0.5) AS lat"
  " FROM base WHERE dl IS NOT NULL GROUP BY agent, target, test, ls / 3600),"
  " w AS (SELECT agent, target, test, hn, dl, lat, count(*) OVER win AS nb, @BASELINE"
  " FROM b WINDOW win AS (PARTITION BY agent, target, test, hn % 24 ORDER BY hn"
  " RANGE BETWEEN 168 PRECEDING AND 24 PRECEDING))"
  " SELECT agent, target, test, hn, dl, bdl, lat, blat FROM (@JUDGED) j"
  " WHERE dl < @FRACTION * bdl AND (lat IS NULL OR blat IS NULL OR lat > blat)",
};

static gboolean
is_pg (const WsAnalysisSql *sql)
{
  return sql->dialect == WS_STORE_DIALECT_POSTGRESQL;
}

/* A row's UTC second. */
static const char *
epoch_s (const WsAnalysisSql *sql)
{
  return is_pg (sql) ? "floor(date_part('epoch', start_time))::int8" : "(start_time / 1000000)";
}

static char *
time_in (const WsAnalysisSql *sql,
         gint64               us)
{
  if (is_pg (sql))
    return g_strdup_printf ("(timestamptz 'epoch' + %" G_GINT64_FORMAT
                            "::int8 * interval '1 microsecond')", us);
  return g_strdup_printf ("%" G_GINT64_FORMAT, us);
}

void
_ws_analysis_sql_init (WsAnalysisSql           *sql,
                       WsStoreDialect           dialect,
                       const char              *source,
                       const WsAnalysisOptions *options)
{
  GString *where = g_string_new ("1 = 1");

  memset (sql, 0, sizeof *sql);
  sql->dialect = dialect;
  sql->source = g_strdup (source);
  sql->fraction = options->fraction;
  if (options->since_us != G_MININT64)
    {
      g_autofree char *since = time_in (sql, options->since_us);

      g_string_append_printf (where, " AND start_time >= %s", since);
    }
  if (options->agent != NULL)
    {
      sql->params[sql->n_params++] = options->agent;
      g_string_append_printf (where, " AND agent = $%u", sql->n_params);
    }
  if (options->target != NULL)
    {
      sql->params[sql->n_params++] = options->target;
      g_string_append_printf (where, " AND target = $%u", sql->n_params);
    }
  sql->where = g_string_free (g_steal_pointer (&where), FALSE);
  sql->local = g_strdup (epoch_s (sql));
}

void
_ws_analysis_sql_clear (WsAnalysisSql *sql)
{
  g_clear_pointer (&sql->source, g_free);
  g_clear_pointer (&sql->where, g_free);
  g_clear_pointer (&sql->local, g_free);
}

static gint32
offset_at (GTimeZone *tz,
           gint64     t)
{
  return g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t));
}

/* The first second after @lo (whose offset differs from @hi's) with
 * @hi's offset. */
static gint64
find_change (GTimeZone *tz,
             gint64     lo,
             gint64     hi)
{
  gint32 after = offset_at (tz, hi);

  while (hi - lo > 1)
    {
      gint64 mid = lo + (hi - lo) / 2;

      if (offset_at (tz, mid) == after)
        hi = mid;
      else
        lo = mid;
    }
  return hi;
}

/* Local time as the UTC second plus the offset, one CASE branch per
 * change of offset between @from_s and @to_s (zones change at most a few
 * times a year, and never twice in six hours). */
void
_ws_analysis_sql_set_tz (WsAnalysisSql *sql,
                         GTimeZone     *tz,
                         gint64         from_s,
                         gint64         to_s)
{
  const char *es = epoch_s (sql);
  GString *local = g_string_new (NULL);
  gint32 offset = offset_at (tz, from_s);
  guint n_changes = 0;

  g_string_printf (local, "(%s + CASE", es);
  for (gint64 t = from_s; t < to_s; t += 6 * 3600)
    {
      gint64 next = MIN (t + 6 * 3600, to_s);

      if (offset_at (tz, next) == offset)
        continue;
      g_string_append_printf (local, " WHEN %s < %" G_GINT64_FORMAT " THEN %d", es,
                              find_change (tz, t, next), offset);
      offset = offset_at (tz, next);
      n_changes++;
    }
  if (n_changes == 0)
    g_string_printf (local, "(%s + %d)", es, offset);
  else
    g_string_append_printf (local, " ELSE %d END)", offset);
  g_free (sql->local);
  sql->local = g_string_free (g_steal_pointer (&local), FALSE);
}

/* The congestion query's baseline: bdl and blat for each hour of w. */
static const char sqlite_baseline[] =
  "ws_percentile(dl, 0.5) OVER win AS bdl, ws_percentile(lat, 0.5) OVER win AS blat";
static const char sqlite_judged[] = "SELECT * FROM w WHERE nb >= 3";
static const char pg_baseline[] =
  "max(dl) OVER win AS max_dl, min(lat) OVER win AS min_lat,"
  " array_agg(dl) OVER win AS dls, array_agg(lat) OVER win AS lats";
static const char pg_judged[] =
  "SELECT agent, target, test, hn, dl, lat,"
  " (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(dls) v) AS bdl,"
  " (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM unnest(lats) v) AS blat"
  " FROM w WHERE nb >= 3 AND dl < @FRACTION * max_dl"
  " AND (lat IS NULL OR min_lat IS NULL OR lat > min_lat)";

/* @TOKENS into the dialect's words. */
static char *
expand (const WsAnalysisSql *sql,
        const char          *text)
{
  g_autoptr(GRegex) pct = g_regex_new ("@PCT\\(([^,()]+), ([0-9.]+)\\)", 0, 0, NULL);
  g_autofree char *fraction = g_strdup_printf ("%.17g", sql->fraction);
  g_autofree char *step = g_regex_replace (pct, text, -1, 0,
                                           is_pg (sql) ? "percentile_cont(\\2) WITHIN GROUP (ORDER BY \\1)"
                                                       : "ws_percentile(\\1, \\2)", 0, NULL);
  GString *out = g_string_new (step);

  g_string_replace (out, "@BASELINE", is_pg (sql) ? pg_baseline : sqlite_baseline, 0);
  g_string_replace (out, "@JUDGED", is_pg (sql) ? pg_judged : sqlite_judged, 0);
  g_string_replace (out, "@LOCAL", sql->local, 0);
  g_string_replace (out, "@SOURCE", sql->source, 0);
  g_string_replace (out, "@WHERE", sql->where, 0);
  g_string_replace (out, "@FRACTION", fraction, 0);
  g_string_replace (out, "@FIRST_US", is_pg (sql) ? "(extract(epoch from min(start_time)) * 1000000)::int8"
                                                  : "min(start_time)", 0);
  g_string_replace (out, "@LAST_US", is_pg (sql) ? "(extract(epoch from max(start_time)) * 1000000)::int8"
                                                 : "max(start_time)", 0);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* How many results, the first and the last: an index's two ends. */
char *
_ws_analysis_range_sql (const WsAnalysisSql *sql)
{
  return expand (sql, "SELECT count(*), @FIRST_US, @LAST_US FROM @SOURCE src WHERE @WHERE");
}

char *
_ws_analysis_query_sql (const WsAnalysisSql *sql,
                        WsAnalysisQuery      query)
{
  g_autofree char *text = g_strconcat (base_sql, query_sql[query], NULL);

  return expand (sql, text);
}

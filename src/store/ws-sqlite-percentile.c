/* ws-sqlite-percentile.c — percentile_cont for SQLite, as an aggregate
 *
 * SQLite 3.40 (Debian 12) has no percentile function. ws_percentile(x, p)
 * gathers one group's non-NULL values inside the query, as PostgreSQL's
 * percentile_cont does, and interpolates the same way, so that both stores
 * answer an analysis with the same numbers. A GROUP BY hands SQLite's
 * aggregates one group at a time (sorted input, streaming), so the memory
 * is one group's values, not the table's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "ws-store-private.h"

typedef struct {
  gdouble *values;
  gsize n;
  gsize allocated;
  gdouble fraction;
} Gathered;

static void
percentile_step (sqlite3_context  *context,
                 int               argc,
                 sqlite3_value   **argv)
{
  Gathered *g = sqlite3_aggregate_context (context, sizeof *g);

  if (g == NULL)
    {
      sqlite3_result_error_nomem (context);
      return;
    }
  if (sqlite3_value_type (argv[0]) == SQLITE_NULL)
    return;
  if (g->n == g->allocated)
    {
      g->allocated = MAX (64, g->allocated * 2);
      g->values = g_renew (gdouble, g->values, g->allocated);
    }
  g->values[g->n++] = sqlite3_value_double (argv[0]);
  g->fraction = sqlite3_value_double (argv[1]);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* PostgreSQL's interpolation, operation for operation
 * (orderedsetaggs.c: first row, proportion, lerp). */
static gdouble
interpolate (const gdouble *sorted,
             gsize          n,
             gdouble        fraction)
{
  gdouble position = fraction * (gdouble) (n - 1);
  gsize first = (gsize) floor (position);
  gsize second = (gsize) ceil (position);
  gdouble lo = sorted[first];

  if (second == first)
    return lo;
  return lo + (sorted[second] - lo) * (position - (gdouble) first);
}

static void
percentile_final (sqlite3_context *context)
{
  Gathered *g = sqlite3_aggregate_context (context, 0);

  if (g == NULL || g->n == 0)
    {
      sqlite3_result_null (context);
      if (g != NULL)
        g_free (g->values);
      return;
    }
  if (!(g->fraction >= 0 && g->fraction <= 1))
    sqlite3_result_error (context, "ws_percentile: the fraction must be between 0 and 1", -1);
  else
    {
      qsort (g->values, g->n, sizeof *g->values, compare_doubles);
      sqlite3_result_double (context, interpolate (g->values, g->n, g->fraction));
    }
  g_free (g->values);
}

int
_ws_sqlite_register_percentile (sqlite3 *db)
{
  return sqlite3_create_function_v2 (db, "ws_percentile", 2,
                                     SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL,
                                     percentile_step, percentile_final, NULL);
}

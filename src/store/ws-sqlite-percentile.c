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
#include <string.h>

#include "ws-store-private.h"

/* The frame's values in the order they came; values[first…n) are in it
 * (a frame leaves from its head). */
typedef struct {
  gdouble *values;       /* small, or on the heap once it outgrew it */
  gsize first;
  gsize n;
  gsize allocated;
  gdouble fraction;
  gdouble small[8];      /* most hours and moving frames fit here */
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
  if (g->n == g->allocated && g->first > g->n / 2)
    {
      memmove (g->values, g->values + g->first, (g->n - g->first) * sizeof *g->values);
      g->n -= g->first;
      g->first = 0;
    }
  if (g->allocated == 0)
    {
      g->values = g->small;
      g->allocated = G_N_ELEMENTS (g->small);
    }
  else if (g->n == g->allocated)
    {
      gdouble *grown = g_new (gdouble, g->allocated * 4);

      memcpy (grown, g->values, g->n * sizeof *grown);
      if (g->values != g->small)
        g_free (g->values);
      g->values = grown;
      g->allocated *= 4;
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
percentile_inverse (sqlite3_context  *context,
                    int               argc,
                    sqlite3_value   **argv)
{
  Gathered *g = sqlite3_aggregate_context (context, sizeof *g);

  if (g != NULL && sqlite3_value_type (argv[0]) != SQLITE_NULL && g->first < g->n)
    g->first++;
}

/* Puts the @k-th smallest of @v at v[k], smaller ones before it, larger
 * after (Hoare's selection): a group's percentile needs two ranks, not
 * the whole order. */
static void
select_rank (gdouble *v,
             gsize    n,
             gsize    k)
{
  gsize lo = 0, hi = n - 1;

  while (lo < hi)
    {
      gdouble pivot = v[lo + (hi - lo) / 2];
      gsize i = lo, j = hi;

      while (i <= j)
        {
          while (v[i] < pivot)
            i++;
          while (v[j] > pivot)
            j--;
          if (i <= j)
            {
              gdouble t = v[i];

              v[i] = v[j];
              v[j] = t;
              i++;
              if (j == 0)
                break;
              j--;
            }
        }
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return;
    }
}

/* As interpolate(), on unsorted values it may reorder. */
static gdouble
interpolate_unsorted (gdouble *v,
                      gsize    n,
                      gdouble  fraction)
{
  gdouble position = fraction * (gdouble) (n - 1);
  gsize first = (gsize) floor (position);
  gsize second = (gsize) ceil (position);
  gdouble lo, hi;

  select_rank (v, n, first);
  lo = v[first];
  if (second == first)
    return lo;
  hi = v[second];
  for (gsize i = second + 1; i < n; i++)
    hi = MIN (hi, v[i]);
  return lo + (hi - lo) * (position - (gdouble) first);
}

/* @in_place: the last call, which may reorder the values themselves. */
static void
result (sqlite3_context *context,
        Gathered        *g,
        gboolean         in_place)
{
  gsize n = g ? g->n - g->first : 0;
  gdouble small[G_N_ELEMENTS (g->small)];
  g_autofree gdouble *copy = NULL;
  gdouble *sorted;

  if (n == 0)
    {
      sqlite3_result_null (context);
      return;
    }
  if (!(g->fraction >= 0 && g->fraction <= 1))
    {
      sqlite3_result_error (context, "ws_percentile: the fraction must be between 0 and 1", -1);
      return;
    }
  if (in_place)
    {
      sqlite3_result_double (context, interpolate_unsorted (g->values + g->first, n, g->fraction));
      return;
    }
  /* A moving frame is a few values, and stays in arrival order. */
  sorted = n <= G_N_ELEMENTS (small) ? small : (copy = g_new (gdouble, n));
  memcpy (sorted, g->values + g->first, n * sizeof *sorted);
  qsort (sorted, n, sizeof *sorted, compare_doubles);
  sqlite3_result_double (context, interpolate (sorted, n, g->fraction));
}

static void
percentile_value (sqlite3_context *context)
{
  result (context, sqlite3_aggregate_context (context, 0), FALSE);
}

static void
percentile_final (sqlite3_context *context)
{
  Gathered *g = sqlite3_aggregate_context (context, 0);

  result (context, g, TRUE);
  if (g != NULL && g->values != g->small)
    g_free (g->values);
}

int
_ws_sqlite_register_percentile (sqlite3 *db)
{
  return sqlite3_create_window_function (db, "ws_percentile", 2,
                                         SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                         percentile_step, percentile_final, percentile_value,
                                         percentile_inverse, NULL);
}

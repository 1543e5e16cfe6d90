/* ws-histogram.c — log-linear latency histogram
 *
 * The layout is HdrHistogram's with a unit of 1 ns and 3 significant
 * decimal digits. Bucket 0 holds 0 … 2047 ns exactly, one count per
 * nanosecond. Every later bucket b ≥ 1 covers one power of two,
 * [1024·2^b, 2048·2^b), in 1024 sub-buckets 2^b ns wide: a sub-bucket is
 * never wider than 1/1024 of the values in it, so reporting its highest
 * value is at most 0.098 % above what was recorded.
 *
 * Buckets 1, 2, … overlap bucket 0's upper half, so only their upper
 * halves are stored and the flat index of a value is simply
 * (b << 10) + (value >> b).
 *
 * Mean and standard deviation come from exact integer sums, not from the
 * buckets, so they are exact whatever the resolution.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "ws-histogram.h"

#ifndef __SIZEOF_INT128__
#error "ws-histogram.c keeps exact sums in unsigned __int128"
#endif

typedef unsigned __int128 WsU128;

/* 2^11 sub-buckets per power of two: resolution 1/1024, better than the
 * 1/1000 that three significant digits need. */
#define SUB_BUCKET_BITS 11
#define SUB_BUCKET_COUNT (G_GUINT64_CONSTANT (1) << SUB_BUCKET_BITS)
#define SUB_BUCKET_HALF_BITS (SUB_BUCKET_BITS - 1)
#define SUB_BUCKET_HALF_COUNT (SUB_BUCKET_COUNT / 2)

struct _WsHistogram
{
  guint64 count;
  guint64 min;               /* G_MAXUINT64 while empty */
  guint64 max;
  WsU128 sum;                /* cannot overflow: 2^64 values of 2^64 */
  WsU128 sum_squares;        /* only values of centuries can overflow it */
  gboolean squares_overflowed;
  gsize n_counts;
  guint64 counts[];
};

static inline gsize
index_for (guint64 value)
{
  /* OR-ing in the sub-bucket mask puts every value below 2048 in bucket 0
   * and keeps the argument of clz non-zero. */
  guint bucket = (63 - __builtin_clzll (value | (SUB_BUCKET_COUNT - 1))) - SUB_BUCKET_HALF_BITS;

  return ((gsize) bucket << SUB_BUCKET_HALF_BITS) + (gsize) (value >> bucket);
}

static inline gsize
index_for_clamped (guint64 value)
{
  /* Values above the range count in the top bucket; the exact value still
   * reaches max and the sums. */
  return index_for (MIN (value, WS_HISTOGRAM_MAX_NS));
}

static guint64
highest_for (gsize index)
{
  guint bucket;
  guint64 sub_bucket;

  if (index < SUB_BUCKET_COUNT)
    return index;

  bucket = (index >> SUB_BUCKET_HALF_BITS) - 1;
  sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
  return (sub_bucket << bucket) + ((G_GUINT64_CONSTANT (1) << bucket) - 1);
}

WsHistogram *
ws_histogram_new (void)
{
  gsize n_counts = index_for (WS_HISTOGRAM_MAX_NS) + 1;
  WsHistogram *h;

  h = g_malloc0 (sizeof (WsHistogram) + n_counts * sizeof (guint64));
  h->n_counts = n_counts;
  h->min = G_MAXUINT64;
  return h;
}

void
ws_histogram_free (WsHistogram *h)
{
  g_free (h);
}

void
ws_histogram_reset (WsHistogram *h)
{
  g_return_if_fail (h != NULL);

  /* Resets come once per interval: clear only [min, max], the only
   * counts that can be non-zero, not the whole quarter megabyte. */
  if (h->count > 0)
    {
      gsize first = index_for_clamped (h->min);
      gsize last = index_for_clamped (h->max);

      memset (&h->counts[first], 0, (last - first + 1) * sizeof (guint64));
    }
  h->count = 0;
  h->min = G_MAXUINT64;
  h->max = 0;
  h->sum = 0;
  h->sum_squares = 0;
  h->squares_overflowed = FALSE;
}

static inline void
add_squares (WsHistogram *h,
             WsU128       squares)
{
  if (G_UNLIKELY (__builtin_add_overflow (h->sum_squares, squares, &h->sum_squares)))
    h->squares_overflowed = TRUE;
}

/* Runs once per request/response round trip: no allocation, no loop. */
void
ws_histogram_record (WsHistogram *h,
                     guint64      value_ns)
{
  g_return_if_fail (h != NULL);

  h->counts[index_for_clamped (value_ns)]++;
  h->count++;
  h->min = MIN (h->min, value_ns);
  h->max = MAX (h->max, value_ns);
  h->sum += value_ns;
  add_squares (h, (WsU128) value_ns * value_ns);
}

void
ws_histogram_merge (WsHistogram       *into,
                    const WsHistogram *from)
{
  gsize first, last;

  g_return_if_fail (into != NULL);
  g_return_if_fail (from != NULL);

  if (from->count == 0)
    return;

  /* Nothing outside [min, max] was ever counted. Reading the bounds
   * before writing keeps merging a histogram into itself correct. */
  first = index_for_clamped (from->min);
  last = index_for_clamped (from->max);
  for (gsize i = first; i <= last; i++)
    into->counts[i] += from->counts[i];

  into->min = MIN (into->min, from->min);
  into->max = MAX (into->max, from->max);
  into->sum += from->sum;
  into->squares_overflowed |= from->squares_overflowed;
  add_squares (into, from->sum_squares);
  into->count += from->count;
}

guint64
ws_histogram_count (const WsHistogram *h)
{
  g_return_val_if_fail (h != NULL, 0);

  return h->count;
}

guint64
ws_histogram_min (const WsHistogram *h)
{
  g_return_val_if_fail (h != NULL, 0);

  return h->count > 0 ? h->min : 0;
}

guint64
ws_histogram_max (const WsHistogram *h)
{
  g_return_val_if_fail (h != NULL, 0);

  return h->max;
}

gdouble
ws_histogram_mean (const WsHistogram *h)
{
  guint64 whole, rest;

  g_return_val_if_fail (h != NULL, 0.0);

  if (h->count == 0)
    return 0.0;

  /* Dividing in integers first keeps the result within a few roundings
   * of the true mean, however large the sum. */
  whole = h->sum / h->count;
  rest = h->sum % h->count;
  return (gdouble) whole + (gdouble) rest / (gdouble) h->count;
}

/* Population standard deviation. Σ(x − mean)² is computed around q, the
 * integer part of the mean: Σ(x − q)² = Σx² − q(Σx + r) exactly in
 * integers (r = Σx mod n), then Σ(x − mean)² = Σ(x − q)² − r²/n. Only
 * that last small correction is floating point, so values of 10^12 ns
 * that differ by 1 ns still give their exact spread, where Σx²/n − mean²
 * in doubles would cancel to noise. */
gdouble
ws_histogram_stddev (const WsHistogram *h)
{
  WsU128 whole, rest, squares_about_whole;
  gdouble variance;

  g_return_val_if_fail (h != NULL, 0.0);

  if (h->count == 0)
    return 0.0;
  /* Σx² no longer holds the truth: say so rather than report a number. */
  if (h->squares_overflowed)
    return NAN;

  whole = h->sum / h->count;
  rest = h->sum % h->count;
  /* q(Σx + r) ≤ Σx², so neither this product nor the difference wraps. */
  squares_about_whole = h->sum_squares - whole * (h->sum + rest);
  variance = ((gdouble) squares_about_whole
              - (gdouble) rest * ((gdouble) rest / (gdouble) h->count)) / (gdouble) h->count;
  return sqrt (MAX (variance, 0.0));
}

/* The rank (1-based) of the value at @percentile: the smallest rank with at
 * least @percentile % of the values at or below it. */
static guint64
rank_for (gdouble percentile,
          guint64 count)
{
  gdouble exact = percentile / 100.0 * (gdouble) count;
  gdouble nearest = round (exact);

  /* 99.9 has no exact binary form: 99.9 % of 1000 computes as
   * 999.0000000000001, and ceil() would move to the next rank. */
  if (fabs (exact - nearest) <= 64 * DBL_EPSILON * exact)
    return (guint64) nearest;
  return (guint64) ceil (exact);
}

guint64
ws_histogram_percentile (const WsHistogram *h,
                         gdouble            percentile)
{
  guint64 rank, seen = 0;
  gsize i;

  g_return_val_if_fail (h != NULL, 0);
  g_return_val_if_fail (percentile >= 0.0 && percentile <= 100.0, 0);

  if (h->count == 0)
    return 0;

  /* The ends are known exactly; a bucket only knows three digits. */
  rank = rank_for (percentile, h->count);
  if (rank <= 1)
    return h->min;
  if (rank >= h->count)
    return h->max;

  for (i = index_for_clamped (h->min); i < h->n_counts - 1; i++)
    {
      seen += h->counts[i];
      if (seen >= rank)
        break;
    }

  /* A bucket's highest value can lie above everything recorded; in the top
   * bucket, which also holds the values above the range, it can lie below
   * everything recorded. [min, max] bounds the answer either way. */
  return CLAMP (highest_for (i), h->min, h->max);
}

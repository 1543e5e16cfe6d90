/* test-histogram.c — WsHistogram against exact reference statistics
 *
 * Percentiles are checked against the order statistics of the same values
 * sorted, mean and standard deviation against two-pass long double sums,
 * and merging against one histogram of the union.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ws-histogram.h"

#define N_RANDOM 100000
#define SEED 0x5eed1234

typedef guint64 (*Distribution) (GRand *rand);

static int
compare_u64 (const void *a,
             const void *b)
{
  guint64 x = *(const guint64 *) a, y = *(const guint64 *) b;

  return x < y ? -1 : x > y;
}

/* 1 µs … 10 ms, flat */
static guint64
uniform (GRand *rand)
{
  return (guint64) g_rand_double_range (rand, 1e3, 1e7);
}

static guint64
log_uniform_range (GRand   *rand,
                   gdouble  low,
                   gdouble  high)
{
  return (guint64) exp (g_rand_double_range (rand, log (low), log (high)));
}

/* 100 ns … 10 s, flat in the logarithm: every bucket gets used */
static guint64
log_uniform (GRand *rand)
{
  return log_uniform_range (rand, 1e2, 1e10);
}

/* a fast path at 20–30 µs and a slow one at 2–50 ms */
static guint64
bimodal (GRand *rand)
{
  if (g_rand_double (rand) < 0.8)
    return (guint64) g_rand_double_range (rand, 2e4, 3e4);
  return log_uniform_range (rand, 2e6, 5e7);
}

static guint64 *
random_values (Distribution distribution,
               gsize        n)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  guint64 *values = g_new (guint64, n);

  for (gsize i = 0; i < n; i++)
    values[i] = distribution (rand);
  return values;
}

static WsHistogram *
histogram_of (const guint64 *values,
              gsize          n)
{
  WsHistogram *h = ws_histogram_new ();

  for (gsize i = 0; i < n; i++)
    ws_histogram_record (h, values[i]);
  return h;
}

/* What the histogram promises: never below the exact value, and at most
 * 0.1 % above it. */
static void
assert_close_above (guint64 got,
                    guint64 exact)
{
  g_assert_cmpuint (got, >=, exact);
  g_assert_cmpuint ((got - exact) * 1000, <=, exact);
}

static void
assert_relative (gdouble got,
                 gdouble exact,
                 gdouble tolerance)
{
  g_assert_cmpfloat_with_epsilon (got, exact, tolerance * fabs (exact));
}

static void
assert_empty (const WsHistogram *h)
{
  g_assert_cmpuint (ws_histogram_count (h), ==, 0);
  g_assert_cmpuint (ws_histogram_min (h), ==, 0);
  g_assert_cmpuint (ws_histogram_max (h), ==, 0);
  g_assert_cmpuint (ws_histogram_percentile (h, 0), ==, 0);
  g_assert_cmpuint (ws_histogram_percentile (h, 50), ==, 0);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, 0);
  g_assert_cmpfloat (ws_histogram_mean (h), ==, 0.0);
  g_assert_cmpfloat (ws_histogram_stddev (h), ==, 0.0);
}

static void
test_empty (void)
{
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  g_autoptr(WsHistogram) other = ws_histogram_new ();

  assert_empty (h);
  ws_histogram_merge (h, other);
  assert_empty (h);
}

static void
test_single (void)
{
  const guint64 value = 123456789;
  g_autoptr(WsHistogram) h = ws_histogram_new ();

  ws_histogram_record (h, value);

  g_assert_cmpuint (ws_histogram_count (h), ==, 1);
  g_assert_cmpuint (ws_histogram_min (h), ==, value);
  g_assert_cmpuint (ws_histogram_max (h), ==, value);
  /* One value is both ends, so every percentile is exact. */
  for (guint p = 0; p <= 100; p++)
    g_assert_cmpuint (ws_histogram_percentile (h, p), ==, value);
  g_assert_cmpfloat (ws_histogram_mean (h), ==, (gdouble) value);
  g_assert_cmpfloat (ws_histogram_stddev (h), ==, 0.0);
}

/* Below 2048 ns every value has its own bucket, so percentiles are exact
 * and the rank rule shows through: 1 … 1000 in random order, and p % must
 * give the value at rank ceil(p × 10). 99.9 % of 1000 computes as
 * 999.0000000000001 in doubles; the answer must still be 999. */
static void
test_exact_small (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  guint64 values[1000];

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    values[i] = i + 1;
  for (guint i = G_N_ELEMENTS (values) - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1);
      guint64 tmp = values[i];

      values[i] = values[j];
      values[j] = tmp;
    }
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    ws_histogram_record (h, values[i]);

  for (guint permille = 0; permille <= 1000; permille++)
    g_assert_cmpuint (ws_histogram_percentile (h, permille / 10.0), ==, MAX (permille, 1));
  g_assert_cmpuint (ws_histogram_percentile (h, 99.9), ==, 999);
}

/* Every value must come back within its bucket's resolution, 1/1024,
 * which is inside the promised 0.1 %: powers of two ± 1 (the bucket
 * boundaries) across the whole range, and random values in it. Around
 * each value sit 0 and G_MAXUINT64, so the [min, max] clamp cannot hide
 * a wrong bucket. */
static void
check_resolution (WsHistogram *h,
                  guint64      value)
{
  guint64 got;

  ws_histogram_reset (h);
  ws_histogram_record (h, 0);
  ws_histogram_record (h, value);
  ws_histogram_record (h, value);
  ws_histogram_record (h, G_MAXUINT64);

  got = ws_histogram_percentile (h, 50);
  g_assert_cmpuint (got, >=, value);
  g_assert_cmpuint ((got - value) * 1024, <=, value);
  if (value < 2048)
    g_assert_cmpuint (got, ==, value);
}

static void
test_resolution (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(WsHistogram) h = ws_histogram_new ();

  for (guint shift = 0; shift < 42; shift++)
    for (gint delta = -1; delta <= 1; delta++)
      {
        guint64 value = (G_GUINT64_CONSTANT (1) << shift) + delta;

        if (value > 0)
          check_resolution (h, value);
      }
  for (guint i = 0; i < 10000; i++)
    check_resolution (h, log_uniform_range (rand, 1, (gdouble) WS_HISTOGRAM_MAX_NS));
  check_resolution (h, WS_HISTOGRAM_MAX_NS - 1);
  check_resolution (h, WS_HISTOGRAM_MAX_NS);
}

static void
test_edges (void)
{
  const guint64 above = WS_HISTOGRAM_MAX_NS + G_GUINT64_CONSTANT (1000000000000);
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  guint64 got;

  /* Zero is a value like any other (loopback clocks can give it). */
  ws_histogram_record (h, 0);
  g_assert_cmpuint (ws_histogram_count (h), ==, 1);
  g_assert_cmpuint (ws_histogram_min (h), ==, 0);
  g_assert_cmpuint (ws_histogram_max (h), ==, 0);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, 0);

  ws_histogram_record (h, 1);
  ws_histogram_record (h, 1);
  g_assert_cmpuint (ws_histogram_percentile (h, 0), ==, 0);
  g_assert_cmpuint (ws_histogram_percentile (h, 50), ==, 1);
  g_assert_cmpuint (ws_histogram_max (h), ==, 1);

  /* The top of the range is exact as max and as p100 ... */
  ws_histogram_record (h, WS_HISTOGRAM_MAX_NS);
  g_assert_cmpuint (ws_histogram_max (h), ==, WS_HISTOGRAM_MAX_NS);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, WS_HISTOGRAM_MAX_NS);

  /* ... and above it, the value counts in the top bucket while max and
   * p100 stay the exact value recorded. */
  ws_histogram_record (h, above);
  ws_histogram_record (h, above);
  g_assert_cmpuint (ws_histogram_count (h), ==, 6);
  g_assert_cmpuint (ws_histogram_min (h), ==, 0);
  g_assert_cmpuint (ws_histogram_max (h), ==, above);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, above);
  /* rank 5 of 6: in the top bucket, which reports the top of the range */
  got = ws_histogram_percentile (h, 75);
  assert_close_above (got, WS_HISTOGRAM_MAX_NS);
  g_assert_cmpuint (got, <, above);
  assert_relative (ws_histogram_mean (h), (0.0 + 1 + 1 + WS_HISTOGRAM_MAX_NS + 2.0 * above) / 6, 1e-12);

  ws_histogram_record (h, G_MAXUINT64);
  g_assert_cmpuint (ws_histogram_max (h), ==, G_MAXUINT64);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, G_MAXUINT64);
}

/* A bucket's highest value is only an upper bound: the answer never leaves
 * [min, max]. */
static void
test_clamp (void)
{
  const guint64 above = 2 * WS_HISTOGRAM_MAX_NS;
  g_autoptr(WsHistogram) h = ws_histogram_new ();

  /* 5000 ns sits in a 4 ns wide bucket, 5000 … 5003: rank 2 of 3 is in
   * the bucket of the max, and is the max. */
  ws_histogram_record (h, 1);
  ws_histogram_record (h, 5000);
  ws_histogram_record (h, 5000);
  g_assert_cmpuint (ws_histogram_percentile (h, 50), ==, 5000);

  /* Values all above the range share the top bucket, whose highest value
   * lies below them: rank 2 of 3 is the min. */
  ws_histogram_reset (h);
  for (guint i = 0; i < 3; i++)
    ws_histogram_record (h, above);
  g_assert_cmpuint (ws_histogram_percentile (h, 50), ==, above);
}

/* Only values of centuries (a negative duration cast to guint64, say) can
 * overflow the exact sum of squares; the standard deviation then says it
 * does not know rather than report a wrapped sum. */
static void
test_stddev_overflow (void)
{
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  g_autoptr(WsHistogram) fresh = ws_histogram_new ();

  for (guint i = 0; i < 4; i++)
    ws_histogram_record (h, G_MAXUINT64);
  g_assert_cmpfloat (ws_histogram_mean (h), ==, (gdouble) G_MAXUINT64);
  g_assert_true (isnan (ws_histogram_stddev (h)));

  /* merging carries the overflow along */
  ws_histogram_merge (fresh, h);
  g_assert_true (isnan (ws_histogram_stddev (fresh)));

  ws_histogram_reset (h);
  ws_histogram_record (h, 1);
  ws_histogram_record (h, 3);
  g_assert_cmpfloat (ws_histogram_stddev (h), ==, 1.0);
}

static void
test_mean_stddev_exact (void)
{
  const guint64 textbook[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
  const guint64 offset = G_GUINT64_CONSTANT (1000000000000);
  g_autoptr(WsHistogram) h = ws_histogram_new ();

  for (guint i = 0; i < G_N_ELEMENTS (textbook); i++)
    ws_histogram_record (h, textbook[i]);
  g_assert_cmpfloat (ws_histogram_mean (h), ==, 5.0);
  g_assert_cmpfloat (ws_histogram_stddev (h), ==, 2.0);

  /* 10^12 and 10^12 + 1 ns, alternating: Σx²/n − mean² in doubles would
   * cancel to noise (Σx² ≈ 10^27), the exact answer is 0.5. */
  ws_histogram_reset (h);
  for (guint i = 0; i < 1000; i++)
    ws_histogram_record (h, offset + i % 2);
  assert_relative (ws_histogram_mean (h), offset + 0.5, 1e-15);
  assert_relative (ws_histogram_stddev (h), 0.5, 1e-9);
}

static void
check_random (Distribution distribution)
{
  g_autofree guint64 *values = random_values (distribution, N_RANDOM);
  g_autoptr(WsHistogram) h = histogram_of (values, N_RANDOM);
  /* in hundredths of a percent, so the reference rank is exact integer
   * arithmetic: ceil(p / 100 × n) */
  const guint basis_points[] = { 1, 100, 1000, 2500, 5000, 7500, 9000, 9900, 9990, 9999 };
  long double sum = 0, squares = 0, mean;

  qsort (values, N_RANDOM, sizeof (guint64), compare_u64);

  g_assert_cmpuint (ws_histogram_count (h), ==, N_RANDOM);
  g_assert_cmpuint (ws_histogram_min (h), ==, values[0]);
  g_assert_cmpuint (ws_histogram_max (h), ==, values[N_RANDOM - 1]);
  g_assert_cmpuint (ws_histogram_percentile (h, 0), ==, values[0]);
  g_assert_cmpuint (ws_histogram_percentile (h, 100), ==, values[N_RANDOM - 1]);

  for (guint i = 0; i < G_N_ELEMENTS (basis_points); i++)
    {
      guint64 rank = ((guint64) basis_points[i] * N_RANDOM + 9999) / 10000;
      guint64 got = ws_histogram_percentile (h, basis_points[i] / 100.0);

      g_test_message ("p%g: %" G_GUINT64_FORMAT " vs %" G_GUINT64_FORMAT,
                      basis_points[i] / 100.0, got, values[rank - 1]);
      assert_close_above (got, values[rank - 1]);
    }

  /* two passes in long double: an independent, more precise reference */
  for (gsize i = 0; i < N_RANDOM; i++)
    sum += values[i];
  mean = sum / N_RANDOM;
  for (gsize i = 0; i < N_RANDOM; i++)
    squares += (values[i] - mean) * (values[i] - mean);
  assert_relative (ws_histogram_mean (h), (gdouble) mean, 1e-9);
  assert_relative (ws_histogram_stddev (h), (gdouble) sqrtl (squares / N_RANDOM), 1e-9);
}

static void
test_random_uniform (void)
{
  check_random (uniform);
}

static void
test_random_log_uniform (void)
{
  check_random (log_uniform);
}

static void
test_random_bimodal (void)
{
  check_random (bimodal);
}

static void
assert_same (const WsHistogram *a,
             const WsHistogram *b)
{
  g_assert_cmpuint (ws_histogram_count (a), ==, ws_histogram_count (b));
  g_assert_cmpuint (ws_histogram_min (a), ==, ws_histogram_min (b));
  g_assert_cmpuint (ws_histogram_max (a), ==, ws_histogram_max (b));
  g_assert_cmpfloat (ws_histogram_mean (a), ==, ws_histogram_mean (b));
  g_assert_cmpfloat (ws_histogram_stddev (a), ==, ws_histogram_stddev (b));
  for (guint permille = 0; permille <= 1000; permille++)
    g_assert_cmpuint (ws_histogram_percentile (a, permille / 10.0), ==,
                      ws_histogram_percentile (b, permille / 10.0));
}

/* Every rank maps to the same bucket only if every bucket holds the same
 * count: compare percentiles at each rank of a smaller set. */
static void
assert_same_counts (const WsHistogram *a,
                    const WsHistogram *b)
{
  guint64 n = ws_histogram_count (a);

  g_assert_cmpuint (n, ==, ws_histogram_count (b));
  for (guint64 rank = 1; rank <= n; rank++)
    g_assert_cmpuint (ws_histogram_percentile (a, 100.0 * rank / n), ==,
                      ws_histogram_percentile (b, 100.0 * rank / n));
}

static void
check_merge (const guint64 *values,
             gsize          n,
             gsize          split)
{
  g_autoptr(WsHistogram) all = histogram_of (values, n);
  g_autoptr(WsHistogram) first = histogram_of (values, split);
  g_autoptr(WsHistogram) second = histogram_of (values + split, n - split);
  g_autoptr(WsHistogram) merged = ws_histogram_new ();

  ws_histogram_merge (merged, first);
  ws_histogram_merge (merged, second);
  assert_same (merged, all);
  if (n <= 5000)
    assert_same_counts (merged, all);

  /* merging into a non-empty histogram, in the other order */
  ws_histogram_merge (second, first);
  assert_same (second, all);
}

static void
test_merge (void)
{
  g_autofree guint64 *values = random_values (log_uniform, N_RANDOM);
  g_autofree guint64 *mixed = random_values (bimodal, 4000);

  check_merge (values, N_RANDOM, 30000);
  /* The halves have disjoint ranges: sorted, split in the middle. */
  qsort (mixed, 4000, sizeof (guint64), compare_u64);
  check_merge (mixed, 4000, 2000);
  /* one side empty */
  check_merge (mixed, 4000, 0);
}

/* A histogram merged into itself counts everything twice. */
static void
test_merge_self (void)
{
  g_autofree guint64 *values = random_values (bimodal, 3000);
  g_autofree guint64 *twice = g_new (guint64, 6000);
  g_autoptr(WsHistogram) h = histogram_of (values, 3000);
  g_autoptr(WsHistogram) expected = NULL;

  memcpy (twice, values, 3000 * sizeof (guint64));
  memcpy (twice + 3000, values, 3000 * sizeof (guint64));
  expected = histogram_of (twice, 6000);

  ws_histogram_merge (h, h);
  assert_same (h, expected);
  assert_same_counts (h, expected);
}

static void
test_reset (void)
{
  g_autofree guint64 *values = random_values (log_uniform, 1000);
  g_autoptr(WsHistogram) h = histogram_of (values, 1000);
  g_autoptr(WsHistogram) fresh = ws_histogram_new ();

  ws_histogram_reset (h);
  assert_empty (h);

  /* min must not stick at the old minimum, nor the counts linger */
  ws_histogram_record (h, 5000000);
  ws_histogram_record (h, 7000000);
  ws_histogram_record (fresh, 5000000);
  ws_histogram_record (fresh, 7000000);
  g_assert_cmpuint (ws_histogram_min (h), ==, 5000000);
  g_assert_cmpuint (ws_histogram_max (h), ==, 7000000);
  assert_same (h, fresh);
  assert_same_counts (h, fresh);

  /* A count left behind anywhere, at the old max say, would shift the
   * ranks of a histogram that spans it. */
  ws_histogram_reset (h);
  for (guint i = 0; i < 1000; i++)
    ws_histogram_record (h, values[i]);
  g_clear_pointer (&fresh, ws_histogram_free);
  fresh = histogram_of (values, 1000);
  assert_same (h, fresh);
  assert_same_counts (h, fresh);
}

static void
test_percentile_out_of_range (void)
{
  g_autoptr(WsHistogram) h = ws_histogram_new ();
  const gdouble bad[] = { -0.5, 100.5, NAN };

  ws_histogram_record (h, 1000);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_test_expect_message (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL, "*percentile*");
      g_assert_cmpuint (ws_histogram_percentile (h, bad[i]), ==, 0);
      g_test_assert_expected_messages ();
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/histogram/empty", test_empty);
  g_test_add_func ("/histogram/single", test_single);
  g_test_add_func ("/histogram/exact-small", test_exact_small);
  g_test_add_func ("/histogram/resolution", test_resolution);
  g_test_add_func ("/histogram/edges", test_edges);
  g_test_add_func ("/histogram/clamp", test_clamp);
  g_test_add_func ("/histogram/stddev-overflow", test_stddev_overflow);
  g_test_add_func ("/histogram/mean-stddev-exact", test_mean_stddev_exact);
  g_test_add_func ("/histogram/random/uniform", test_random_uniform);
  g_test_add_func ("/histogram/random/log-uniform", test_random_log_uniform);
  g_test_add_func ("/histogram/random/bimodal", test_random_bimodal);
  g_test_add_func ("/histogram/merge", test_merge);
  g_test_add_func ("/histogram/merge-self", test_merge_self);
  g_test_add_func ("/histogram/reset", test_reset);
  g_test_add_func ("/histogram/percentile-out-of-range", test_percentile_out_of_range);

  return g_test_run ();
}

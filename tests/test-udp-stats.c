/* test-udp-stats.c — WsUdpStats on hand-made and modelled sequences
 *
 * Each hand-made sequence is small enough to check by eye; a random stream
 * with loss, reordering and duplicates is then checked against a naive
 * model that remembers every sequence number in a hash table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "ws-udp-stats.h"

#define SEED 0x5eed1234

/* Sends every 10 µs on the sender's clock; arrives @transit_ns later on
 * ours. Only differences of transit times matter to jitter. */
static void
record (WsUdpStats *stats,
        guint64     seq,
        guint64     transit_ns)
{
  guint64 send_ns = 1000000000 + seq * 10000;

  ws_udp_stats_record (stats, seq, send_ns, send_ns + transit_ns);
}

static void
record_all (WsUdpStats    *stats,
            const guint64 *seqs,
            gsize          n)
{
  for (gsize i = 0; i < n; i++)
    record (stats, seqs[i], 5000);
}

static void
assert_counts (WsUdpStats *stats,
               guint64     received,
               guint64     lost,
               guint64     out_of_order,
               guint64     duplicates,
               guint64     next_expected)
{
  WsUdpCounts c;

  ws_udp_stats_get (stats, &c);
  g_assert_cmpuint (c.received, ==, received);
  g_assert_cmpuint (c.lost, ==, lost);
  g_assert_cmpuint (c.out_of_order, ==, out_of_order);
  g_assert_cmpuint (c.duplicates, ==, duplicates);
  g_assert_cmpuint (c.next_expected, ==, next_expected);
}

static gdouble
jitter_of (WsUdpStats *stats)
{
  WsUdpCounts c;

  ws_udp_stats_get (stats, &c);
  return c.jitter_ns;
}

static void
test_empty (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  assert_counts (stats, 0, 0, 0, 0, 0);
  g_assert_cmpfloat (jitter_of (stats), ==, 0.0);
}

static void
test_in_order (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  for (guint64 seq = 0; seq < 10; seq++)
    {
      record (stats, seq, 5000);
      assert_counts (stats, seq + 1, 0, 0, 0, seq + 1);
    }
}

/* 0, 1, 3, 4: 2 is missing from the moment 3 arrives. */
static void
test_loss (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  const guint64 seqs[] = { 0, 1, 3 };

  record_all (stats, seqs, G_N_ELEMENTS (seqs));
  assert_counts (stats, 3, 1, 0, 0, 4);
  record (stats, 4, 5000);
  assert_counts (stats, 4, 1, 0, 0, 5);
}

/* 0, 2, 1, 3: 1 looks lost until it arrives late, then nothing is. */
static void
test_reorder (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 5000);
  record (stats, 2, 5000);
  assert_counts (stats, 2, 1, 0, 0, 3);
  record (stats, 1, 5000);
  assert_counts (stats, 3, 0, 1, 0, 3);
  record (stats, 3, 5000);
  assert_counts (stats, 4, 0, 1, 0, 4);
}

/* 0, 1, 1, 2: the second 1 is a duplicate, not a late arrival. */
static void
test_duplicate (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  const guint64 seqs[] = { 0, 1, 1, 2 };

  record_all (stats, seqs, G_N_ELEMENTS (seqs));
  assert_counts (stats, 3, 0, 0, 1, 3);
}

/* 0, 2, 1, 1, 2, 0: a late arrival fills its gap once; every copy after
 * that, of it or of anything else, is a duplicate. */
static void
test_duplicate_of_late (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  const guint64 seqs[] = { 0, 2, 1, 1, 2, 0 };

  record_all (stats, seqs, G_N_ELEMENTS (seqs));
  assert_counts (stats, 3, 0, 1, 3, 3);
}

/* 0 then 1 000 000: 999 999 datagrams are missing at once. */
static void
test_forward_jump (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 5000);
  record (stats, 1000000, 5000);
  assert_counts (stats, 2, 999999, 0, 0, 1000001);

  /* inside the window: late, then a duplicate */
  record (stats, 999999, 5000);
  assert_counts (stats, 3, 999998, 1, 0, 1000001);
  record (stats, 999999, 5000);
  assert_counts (stats, 3, 999998, 1, 1, 1000001);

  /* far below the window: late */
  record (stats, 500000, 5000);
  assert_counts (stats, 4, 999997, 2, 1, 1000001);

  record (stats, 1000001, 5000);
  assert_counts (stats, 5, 999997, 2, 1, 1000002);
}

/* 0, then a gap wider than the window, then 5 arrives: it is older than
 * anything remembered, so it counts as a late arrival. A second copy of
 * it cannot be told from a first one, and counts again: the documented
 * limit of a finite window. */
static void
test_late_beyond_window (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 5000);
  record (stats, 10000, 5000);
  assert_counts (stats, 2, 9999, 0, 0, 10001);
  record (stats, 5, 5000);
  assert_counts (stats, 3, 9998, 1, 0, 10001);
  record (stats, 5, 5000);
  assert_counts (stats, 4, 9997, 2, 0, 10001);
}

/* The window is exactly WS_UDP_WINDOW sequence numbers wide: after
 * 0 … 4096, next_expected is 4097 and 1 … 4096 are remembered. */
static void
test_window_edge (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  for (guint64 seq = 0; seq <= WS_UDP_WINDOW; seq++)
    record (stats, seq, 5000);
  assert_counts (stats, WS_UDP_WINDOW + 1, 0, 0, 0, WS_UDP_WINDOW + 1);

  record (stats, 1, 5000);
  assert_counts (stats, WS_UDP_WINDOW + 1, 0, 0, 1, WS_UDP_WINDOW + 1);

  /* 0 fell out of the window: a duplicate taken for a late arrival, and
   * lost, which would be −1, stays at 0. */
  record (stats, 0, 5000);
  assert_counts (stats, WS_UDP_WINDOW + 2, 0, 1, 1, WS_UDP_WINDOW + 1);
}

/* The ring reuses slots. After 0 … 4095 fill it and 5096 arrives, the
 * window is 1001 … 5096: the slots of 0 … 1000 (whole words of the bitmap
 * and part of one) must be forgotten, and those of 1001 … 4095 kept. */
static void
test_window_slide (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  for (guint64 seq = 0; seq < WS_UDP_WINDOW; seq++)
    record (stats, seq, 5000);
  record (stats, 5096, 5000);
  assert_counts (stats, 4097, 1000, 0, 0, 5097);

  /* remembered */
  record (stats, 1500, 5000);
  assert_counts (stats, 4097, 1000, 0, 1, 5097);
  /* slot 10, in a word cleared whole */
  record (stats, 4106, 5000);
  assert_counts (stats, 4098, 999, 1, 1, 5097);
  /* slot 904, the last word cleared whole */
  record (stats, 5000, 5000);
  assert_counts (stats, 4099, 998, 2, 1, 5097);
  /* slot 960, the first bit of the word cleared in part */
  record (stats, 5056, 5000);
  assert_counts (stats, 4100, 997, 3, 1, 5097);
  /* 1001, in the same word, is the oldest remembered; 1000 is out */
  record (stats, 1001, 5000);
  assert_counts (stats, 4100, 997, 3, 2, 5097);
  record (stats, 1000, 5000);
  assert_counts (stats, 4101, 996, 4, 2, 5097);
  /* and the late arrivals are remembered in turn */
  record (stats, 4106, 5000);
  assert_counts (stats, 4101, 996, 4, 3, 5097);
}

/* A jump of more than the window forgets every slot, even a full ring. */
static void
test_window_clear (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  const guint64 top = 20000;

  for (guint64 seq = 0; seq < WS_UDP_WINDOW; seq++)
    record (stats, seq, 5000);
  record (stats, top, 5000);
  for (guint64 seq = top + 1 - WS_UDP_WINDOW; seq < top; seq++)
    record (stats, seq, 5000);
  /* 4096 + 1 + 4095 received of 20001 */
  assert_counts (stats, 8192, 20001 - 8192, WS_UDP_WINDOW - 1, 0, top + 1);

  record (stats, 17000, 5000);
  assert_counts (stats, 8192, 20001 - 8192, WS_UDP_WINDOW - 1, 1, top + 1);
}

/* Forgetting the window costs at most its size, however far the jump:
 * this must not walk 2^62 sequence numbers. */
static void
test_huge_jump (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  const guint64 far = G_GUINT64_CONSTANT (1) << 62;

  record (stats, 0, 5000);
  record (stats, far, 5000);
  assert_counts (stats, 2, far - 1, 0, 0, far + 1);
  record (stats, far - 1, 5000);
  assert_counts (stats, 3, far - 2, 1, 0, far + 1);
}

/* next_expected = seq + 1 cannot hold G_MAXUINT64 + 1: that datagram is
 * ignored, the stream is not reset to 0. */
static void
test_max_seq (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 5000);
  ws_udp_stats_record (stats, G_MAXUINT64, 0, 5000);
  assert_counts (stats, 1, 0, 0, 0, 1);
  record (stats, 1, 5000);
  assert_counts (stats, 2, 0, 0, 0, 2);
}

typedef struct {
  guint64 seq;
  guint64 arrival;  /* sort key */
  guint64 transit;
} Arrival;

static int
compare_arrival (const void *a,
                 const void *b)
{
  const Arrival *x = a, *y = b;

  if (x->arrival != y->arrival)
    return x->arrival < y->arrival ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The same rules, written the obvious way: a set of everything seen. */
typedef struct {
  GHashTable *seen;
  WsUdpCounts counts;
  gboolean have_transit;
  gdouble last_transit;
} Model;

static void
model_record (Model         *m,
              const Arrival *a)
{
  gboolean seen = g_hash_table_contains (m->seen, &a->seq);

  if (a->seq >= m->counts.next_expected)
    m->counts.next_expected = a->seq + 1;
  else if (m->counts.next_expected - a->seq <= WS_UDP_WINDOW && seen)
    {
      m->counts.duplicates++;
      return;
    }
  else
    m->counts.out_of_order++;

  g_hash_table_add (m->seen, (gpointer) &a->seq);
  m->counts.received++;
  if (m->have_transit)
    m->counts.jitter_ns += (fabs ((gdouble) a->transit - m->last_transit) - m->counts.jitter_ns) / 16;
  m->last_transit = a->transit;
  m->have_transit = TRUE;
}

static void
assert_model (WsUdpStats *stats,
              Model      *m)
{
  guint64 lost = m->counts.next_expected > m->counts.received
                 ? m->counts.next_expected - m->counts.received : 0;

  assert_counts (stats, m->counts.received, lost, m->counts.out_of_order,
                 m->counts.duplicates, m->counts.next_expected);
  g_assert_cmpfloat_with_epsilon (jitter_of (stats), m->counts.jitter_ns,
                                  1e-9 * MAX (1.0, m->counts.jitter_ns));
}

/* 200 000 datagrams: 2 % lost, 3 % sent twice, most delayed a little,
 * some by more than the window. */
static void
test_random_model (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  g_autoptr(GArray) arrivals = g_array_new (FALSE, FALSE, sizeof (Arrival));
  Model model = { .seen = seen };

  for (guint64 seq = 0; seq < 200000; seq++)
    {
      guint copies = g_rand_double (rand) < 0.03 ? 2 : 1;

      if (g_rand_double (rand) < 0.02)
        continue;
      for (guint c = 0; c < copies; c++)
        {
          gdouble r = g_rand_double (rand);
          guint64 delay = r < 0.9 ? 0 : r < 0.999 ? g_rand_int_range (rand, 0, 100)
                                                 : g_rand_int_range (rand, 0, 3 * WS_UDP_WINDOW);
          Arrival a = {
            .seq = seq,
            .arrival = seq + delay,
            .transit = g_rand_int_range (rand, 20000, 80000),
          };

          g_array_append_val (arrivals, a);
        }
    }
  qsort (arrivals->data, arrivals->len, sizeof (Arrival), compare_arrival);

  for (guint i = 0; i < arrivals->len; i++)
    {
      const Arrival *a = &g_array_index (arrivals, Arrival, i);
      guint64 send_ns = a->seq * 10000;

      ws_udp_stats_record (stats, a->seq, send_ns, send_ns + a->transit);
      model_record (&model, a);
      if (i % 1000 == 0)
        assert_model (stats, &model);
    }
  assert_model (stats, &model);
  /* the stream must have exercised every path */
  g_assert_cmpuint (model.counts.duplicates, >, 0);
  g_assert_cmpuint (model.counts.out_of_order, >, 0);
  g_assert_cmpuint (model.counts.next_expected - model.counts.received, >, 0);
}

/* Same transit for every datagram, however irregularly sent: D is always
 * 0, and so is J. */
static void
test_jitter_constant (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (SEED);
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();
  guint64 send_ns = 1000;

  for (guint64 seq = 0; seq < 1000; seq++)
    {
      send_ns += g_rand_int_range (rand, 1, 1000000);
      ws_udp_stats_record (stats, seq, send_ns, send_ns + 37000);
    }
  g_assert_cmpfloat (jitter_of (stats), ==, 0.0);
}

/* Transit 0, 1000, 0, 1000 ns. Every |D| is 1000, J starts at 0 and each
 * arrival after the first moves it 1/16 of the way to 1000:
 *   1st: no previous transit             J = 0
 *   2nd: J = 0       + (1000 − 0)/16       = 62.5
 *   3rd: J = 62.5    + (1000 − 62.5)/16    = 62.5 + 58.59375    = 121.09375
 *   4th: J = 121.09375 + (1000 − 121.09375)/16
 *          = 121.09375 + 54.931640625                           = 176.025390625
 * (in closed form 1000 × (1 − (15/16)³) = 1000 × 721/4096; every step is
 * exact in binary). @send_base shifts the sender's clock. */
static void
check_alternating (guint64 send_base,
                   guint64 recv_base)
{
  const gdouble expected[] = { 0.0, 62.5, 121.09375, 176.025390625 };
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  for (guint64 seq = 0; seq < G_N_ELEMENTS (expected); seq++)
    {
      guint64 transit = seq % 2 ? 1000 : 0;

      ws_udp_stats_record (stats, seq, send_base + seq * 10000, recv_base + seq * 10000 + transit);
      g_assert_cmpfloat_with_epsilon (jitter_of (stats), expected[seq], 1e-9);
    }
}

static void
test_jitter_alternating (void)
{
  check_alternating (0, 0);
}

/* The clocks need not agree: a receiver whose clock reads far less than
 * the sender's gives "negative" transit times, with the same jitter. */
static void
test_jitter_clock_offset (void)
{
  check_alternating (G_GUINT64_CONSTANT (9000000000000000000), 1000);
  check_alternating (1000, G_GUINT64_CONSTANT (9000000000000000000));
}

/* RFC 3550 takes arrivals in arrival order: 0, 2, 1 with transits 0,
 * 1000, 0 gives |D| = 1000, 1000 and J = 121.09375 as above. Taken in
 * sequence order (transits 0, 0, 1000) it would be 62.5. */
static void
test_jitter_arrival_order (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 0);
  record (stats, 2, 1000);
  record (stats, 1, 0);
  g_assert_cmpfloat_with_epsilon (jitter_of (stats), 121.09375, 1e-9);
}

/* The alternating sequence again, with copies of wildly different transit
 * spliced in: J must not move. */
static void
test_jitter_duplicates_ignored (void)
{
  g_autoptr(WsUdpStats) stats = ws_udp_stats_new ();

  record (stats, 0, 0);
  record (stats, 0, 900000);
  record (stats, 1, 1000);
  record (stats, 0, 500000);
  record (stats, 1, 3);
  g_assert_cmpfloat_with_epsilon (jitter_of (stats), 62.5, 1e-9);
  record (stats, 2, 0);
  record (stats, 2, 77777);
  record (stats, 3, 1000);
  g_assert_cmpfloat_with_epsilon (jitter_of (stats), 176.025390625, 1e-9);
  assert_counts (stats, 4, 0, 0, 4, 4);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/udp-stats/empty", test_empty);
  g_test_add_func ("/udp-stats/in-order", test_in_order);
  g_test_add_func ("/udp-stats/loss", test_loss);
  g_test_add_func ("/udp-stats/reorder", test_reorder);
  g_test_add_func ("/udp-stats/duplicate", test_duplicate);
  g_test_add_func ("/udp-stats/duplicate-of-late", test_duplicate_of_late);
  g_test_add_func ("/udp-stats/forward-jump", test_forward_jump);
  g_test_add_func ("/udp-stats/late-beyond-window", test_late_beyond_window);
  g_test_add_func ("/udp-stats/window-edge", test_window_edge);
  g_test_add_func ("/udp-stats/window-slide", test_window_slide);
  g_test_add_func ("/udp-stats/window-clear", test_window_clear);
  g_test_add_func ("/udp-stats/huge-jump", test_huge_jump);
  g_test_add_func ("/udp-stats/max-seq", test_max_seq);
  g_test_add_func ("/udp-stats/random-model", test_random_model);
  g_test_add_func ("/udp-stats/jitter/constant", test_jitter_constant);
  g_test_add_func ("/udp-stats/jitter/alternating", test_jitter_alternating);
  g_test_add_func ("/udp-stats/jitter/clock-offset", test_jitter_clock_offset);
  g_test_add_func ("/udp-stats/jitter/arrival-order", test_jitter_arrival_order);
  g_test_add_func ("/udp-stats/jitter/duplicates-ignored", test_jitter_duplicates_ignored);

  return g_test_run ();
}

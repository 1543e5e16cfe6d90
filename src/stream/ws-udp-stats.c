/* ws-udp-stats.c — loss, reordering, duplicates and jitter of a UDP stream
 *
 * A ring of WS_UDP_WINDOW bits, indexed by seq mod WS_UDP_WINDOW, remembers
 * which of the sequence numbers [next_expected − WS_UDP_WINDOW,
 * next_expected) arrived. That is enough to tell a late arrival, which
 * fills a gap, from a duplicate, which does not.
 *
 * A datagram older than the window cannot be checked: it counts as a late
 * arrival. A duplicate that old therefore counts as received and reordered,
 * which is why lost is clamped at 0. With a 4096-packet window that takes a
 * datagram delayed by 4096 later ones and delivered twice.
 *
 * Everything is allocated in ws_udp_stats_new(): recording runs once per
 * datagram on the receive path.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-udp-stats.h"

#define WORD_BITS 64
#define WINDOW_WORDS (WS_UDP_WINDOW / WORD_BITS)

G_STATIC_ASSERT (WS_UDP_WINDOW % WORD_BITS == 0);

struct _WsUdpStats
{
  guint64 received;
  guint64 out_of_order;
  guint64 duplicates;
  guint64 next_expected;
  gdouble jitter_ns;
  /* recv − send of the previous arrival, modulo 2^64: the two clocks are
   * unrelated, so it can be "negative"; only differences of it matter. */
  guint64 last_transit;
  gboolean have_transit;
  guint64 window[WINDOW_WORDS];
};

WsUdpStats *
ws_udp_stats_new (void)
{
  return g_new0 (WsUdpStats, 1);
}

void
ws_udp_stats_free (WsUdpStats *stats)
{
  g_free (stats);
}

/* Marks @seq as received; returns whether it already was. */
static inline gboolean
window_test_and_set (WsUdpStats *stats,
                     guint64     seq)
{
  guint slot = seq % WS_UDP_WINDOW;
  guint64 bit = G_GUINT64_CONSTANT (1) << (slot % WORD_BITS);
  guint64 *word = &stats->window[slot / WORD_BITS];
  gboolean was_set = (*word & bit) != 0;

  *word |= bit;
  return was_set;
}

/* Forgets the slots of sequence numbers [from, to): their previous
 * occupants, from − WS_UDP_WINDOW onwards, leave the window. */
static void
window_clear (WsUdpStats *stats,
              guint64     from,
              guint64     to)
{
  if (to - from >= WS_UDP_WINDOW)
    {
      memset (stats->window, 0, sizeof stats->window);
      return;
    }

  while (from < to)
    {
      guint offset = from % WORD_BITS;
      guint64 n = MIN (WORD_BITS - offset, to - from);
      guint64 mask = n == WORD_BITS ? G_MAXUINT64 : ((G_GUINT64_CONSTANT (1) << n) - 1) << offset;

      stats->window[(from % WS_UDP_WINDOW) / WORD_BITS] &= ~mask;
      from += n;
    }
}

/* TRUE if @seq (below next_expected) is new; FALSE for a duplicate. */
static gboolean
mark_late (WsUdpStats *stats,
           guint64     seq)
{
  if (stats->next_expected - seq > WS_UDP_WINDOW)
    return TRUE;
  return !window_test_and_set (stats, seq);
}

static void
update_jitter (WsUdpStats *stats,
               guint64     send_ns,
               guint64     recv_ns)
{
  guint64 transit = recv_ns - send_ns;

  if (stats->have_transit)
    {
      /* Modular difference, then signed: exact as long as consecutive
       * transit times differ by less than 292 years. */
      gint64 d = (gint64) (transit - stats->last_transit);
      gdouble abs_d = d < 0 ? -(gdouble) d : (gdouble) d;

      /* RFC 3550, 6.4.1: a gain of 1/16 smooths out single spikes. */
      stats->jitter_ns += (abs_d - stats->jitter_ns) / 16.0;
    }
  stats->last_transit = transit;
  stats->have_transit = TRUE;
}

void
ws_udp_stats_record (WsUdpStats *stats,
                     guint64     seq,
                     guint64     send_ns,
                     guint64     recv_ns)
{
  g_return_if_fail (stats != NULL);

  /* next_expected = seq + 1 would wrap to 0. No stream gets there, so
   * this can only be a corrupt datagram. */
  if (G_UNLIKELY (seq == G_MAXUINT64))
    return;

  if (seq < stats->next_expected)
    {
      if (!mark_late (stats, seq))
        {
          stats->duplicates++;
          return;
        }
      stats->out_of_order++;
    }
  else
    {
      window_clear (stats, stats->next_expected, seq + 1);
      window_test_and_set (stats, seq);
      stats->next_expected = seq + 1;
    }

  stats->received++;
  update_jitter (stats, send_ns, recv_ns);
}

void
ws_udp_stats_get (WsUdpStats  *stats,
                  WsUdpCounts *counts)
{
  g_return_if_fail (stats != NULL);
  g_return_if_fail (counts != NULL);

  counts->received = stats->received;
  counts->lost = stats->next_expected > stats->received ? stats->next_expected - stats->received : 0;
  counts->out_of_order = stats->out_of_order;
  counts->duplicates = stats->duplicates;
  counts->next_expected = stats->next_expected;
  counts->jitter_ns = stats->jitter_ns;
}

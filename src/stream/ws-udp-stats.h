/* ws-udp-stats.h — what a UDP receiver learns from sequence numbers and
 * timestamps: loss, reordering (RFC 4737), duplicates and jitter (RFC 3550)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Sequence numbers start at 0 for each stream; WS_UDP_WINDOW recent
 * sequence numbers are remembered to tell duplicates from late arrivals. */
#define WS_UDP_WINDOW 4096

typedef struct {
  guint64 received;      /* distinct packets received (duplicates excluded) */
  guint64 lost;          /* next_expected − received, never negative */
  guint64 out_of_order;  /* RFC 4737 reordered: seq < next_expected on arrival */
  guint64 duplicates;    /* seen before, within the window */
  guint64 next_expected; /* highest sequence seen + 1 */
  gdouble jitter_ns;     /* RFC 3550 J += (|D| − J) / 16 */
} WsUdpCounts;

typedef struct _WsUdpStats WsUdpStats;

WsUdpStats *ws_udp_stats_new     (void);
void        ws_udp_stats_free    (WsUdpStats  *stats);
/* Records one datagram: its sequence, the sender's send time and our
 * receive time, both in ns on each side's own monotonic clock (the
 * clocks need not agree: jitter uses differences only). */
void        ws_udp_stats_record  (WsUdpStats  *stats,
                                  guint64      seq,
                                  guint64      send_ns,
                                  guint64      recv_ns);
void        ws_udp_stats_get     (WsUdpStats  *stats,
                                  WsUdpCounts *counts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsUdpStats, ws_udp_stats_free)

G_END_DECLS

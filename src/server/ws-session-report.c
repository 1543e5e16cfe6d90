/* ws-session-report.c — what a version 2 session reports, as messages
 *
 * Pure: a stream's counters now and at the report before in, the counts
 * of its INTERVAL, UDP_STATS or STREAM_RESULT out. ws-session.c numbers
 * and times the messages and sends them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-session-report.h"

/* The server's own side of @stream since @since: what it sent and its TCP
 * state, or what it received and the datagrams it policed. */
void
ws_session_report_interval (WsInterval             *iv,
                            WsStream               *stream,
                            const WsStreamCounters *now,
                            const WsStreamCounters *since)
{
  iv->role = ws_stream_get_role (stream);
  if (ws_stream_is_sending (stream))
    {
      iv->bytes_sent = now->bytes - since->bytes;
      iv->retransmits = now->retransmits - since->retransmits;
      iv->snd_cwnd = now->snd_cwnd;
      iv->rtt_us = now->rtt_us;
    }
  else
    {
      iv->bytes_received = now->bytes - since->bytes;
      iv->policed = MIN (now->policed - since->policed, G_MAXUINT32);
    }
  iv->packets_received = now->packets - since->packets;
}

/* A UDP receiver's accounting, since @since or (NULL) since the start. */
void
ws_session_report_udp_stats (WsUdpStatsMessage *u,
                             const WsUdpCounts *now,
                             const WsUdpCounts *since)
{
  static const WsUdpCounts zero;

  if (since == NULL)
    since = &zero;
  u->packets_received = now->received - since->received;
  /* Late arrivals shrink the loss count: an interval never reports < 0. */
  u->packets_lost = now->lost > since->lost ? now->lost - since->lost : 0;
  u->out_of_order = now->out_of_order - since->out_of_order;
  u->duplicates = now->duplicates - since->duplicates;
  u->jitter_ns = (guint64) now->jitter_ns;
}

/* @stream's totals; a sender's retransmits counted from
 * @first_retransmits, its count when the test started. */
void
ws_session_report_result (WsStreamResult         *r,
                          WsStream               *stream,
                          const WsStreamCounters *now,
                          guint32                 first_retransmits)
{
  r->role = ws_stream_get_role (stream);
  if (ws_stream_is_sending (stream))
    {
      r->bytes_sent = now->bytes;
      r->retransmits = now->retransmits - first_retransmits;
    }
  else
    r->bytes_received = now->bytes;
  r->packets_received = now->packets;
}

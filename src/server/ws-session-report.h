/* ws-session-report.h — what a version 2 session reports, as messages
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-protocol.h"
#include "ws-stream.h"

G_BEGIN_DECLS

void ws_session_report_interval  (WsInterval             *interval,
                                  WsStream               *stream,
                                  const WsStreamCounters *now,
                                  const WsStreamCounters *since);
void ws_session_report_udp_stats (WsUdpStatsMessage      *stats,
                                  const WsUdpCounts      *now,
                                  const WsUdpCounts      *since);
void ws_session_report_result    (WsStreamResult         *result,
                                  WsStream               *stream,
                                  const WsStreamCounters *now,
                                  guint32                 first_retransmits);

G_END_DECLS

/* ws-metrics.h — the figures derived from a result, computed once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-result.h"

G_BEGIN_DECLS

gdouble     ws_flow_stats_bps            (const WsFlowStats *flow,
                                          gdouble            seconds);
gdouble     ws_flow_stats_sender_bps     (const WsFlowStats *flow,
                                          gdouble            seconds);
gdouble     ws_flow_stats_loss_percent   (const WsFlowStats *flow);
void        ws_flow_stats_add            (WsFlowStats       *sum,
                                          const WsFlowStats *part);
WsFlowStats ws_flow_stats_total          (const WsFlowStats *up,
                                          const WsFlowStats *down);
guint32     ws_flow_stats_headline_rtt_us (const WsFlowStats *up,
                                           const WsFlowStats *down);
gdouble     ws_sample_latency_ms         (const WsSample    *sample);

gdouble     ws_metrics_per_second        (guint64            count,
                                          gdouble            seconds);
gdouble     ws_metrics_percent           (guint64            part,
                                          guint64            whole);
gdouble     ws_metrics_rr_loss_percent   (guint64            transactions,
                                          guint64            lost);

gdouble     ws_result_rpm                (const WsResult    *result);
const char *ws_rpm_band                  (gdouble            rpm);
gdouble     ws_result_probe_loss_percent (const WsResult    *result);
gdouble     ws_result_transactions_per_s (const WsResult    *result);
gdouble     ws_result_latency_increase_ms (const WsResult   *result);
const WsLatency *ws_result_headline_latency (const WsResult *result);

G_END_DECLS

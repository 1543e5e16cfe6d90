/* ws-sampler.h — the client's two views of a test merged into samples
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-iperf3.h"
#include "ws-iperf3-stream.h"
#include "ws-protocol.h"
#include "ws-result.h"
#include "ws-stream.h"

G_BEGIN_DECLS

typedef struct _WsSampler WsSampler;

WsSampler *ws_sampler_new            (const WsTestRequest      *request,
                                      WsStream                **streams,
                                      WsResult                 *result);
void       ws_sampler_free           (WsSampler                *sampler);
void       ws_sampler_start          (WsSampler                *sampler,
                                      gint64                    now_ns);
void       ws_sampler_tick           (WsSampler                *sampler,
                                      gint64                    now_ns);
void       ws_sampler_begin_finish   (WsSampler                *sampler);
void       ws_sampler_add_interval   (WsSampler                *sampler,
                                      const WsInterval         *interval);
void       ws_sampler_add_udp_stats  (WsSampler                *sampler,
                                      const WsUdpStatsMessage  *stats);
void       ws_sampler_add_result     (WsSampler                *sampler,
                                      const WsStreamResult     *result);
gboolean   ws_sampler_pop_ready      (WsSampler                *sampler,
                                      gboolean                  flush,
                                      WsSample                 *sample);
void       ws_sampler_summarise      (WsSampler                *sampler,
                                      gint64                    stop_ns,
                                      gboolean                  interrupted);

/* For peers whose streams the sampler does not read itself (iperf3):
 * their figures, measured elsewhere, written into the result here. */
void       ws_sampler_add_sample     (WsResult                 *result,
                                      const WsSample           *sample);
void       ws_sampler_add_summary    (WsResult                 *result,
                                      const WsStreamSummary    *summary);
void       ws_sampler_add_iperf3_stream (WsResult             *result,
                                         WsIperf3Stream       *stream,
                                         const WsIperf3Results *theirs,
                                         gdouble               seconds);
void       ws_sampler_set_latency    (WsResult                 *result,
                                      const WsHistogram        *idle,
                                      WsHistogram              *loaded);
void       ws_sampler_close          (WsResult                 *result,
                                      gdouble                   seconds,
                                      gboolean                  interrupted,
                                      gboolean                  whole_blocks);

/* A test of several phases: each phase's figures into the whole. */
void       ws_sampler_merge_idle     (WsResult                 *into,
                                      const WsLatency          *idle_latency,
                                      gboolean                  interrupted);
void       ws_sampler_merge_phase    (WsResult                 *into,
                                      const WsResult           *phase);
void       ws_sampler_merge_speed_phase (WsResult             *into,
                                         const WsResult       *phase,
                                         WsDirection           direction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsSampler, ws_sampler_free)

G_END_DECLS

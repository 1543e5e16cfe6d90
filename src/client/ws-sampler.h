/* ws-sampler.h — the client's two views of a test merged into samples
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

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
                                      gint64                    stop_ns);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsSampler, ws_sampler_free)

G_END_DECLS

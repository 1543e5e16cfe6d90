/* ws-agent.h — scheduled tests, spooled and reported
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-agent-config.h"
#include "ws-report.h"
#include "ws-spool.h"

G_BEGIN_DECLS

/* How long an agent waits for its central configuration before it runs
 * the schedules it has. */
#define WS_AGENT_FIRST_CONTACT_S 15
/* The longest the scheduler sleeps without looking at the wall clock: a
 * machine that slept, or a clock that was set, is noticed this soon. */
#define WS_AGENT_TICK_MAX_MS 30000
#define WS_AGENT_DEFAULT_SEND_TIMEOUT_S 60

#define WS_TYPE_AGENT (ws_agent_get_type ())
G_DECLARE_FINAL_TYPE (WsAgent, ws_agent, WS, AGENT, GObject)

WsAgent  *ws_agent_new          (WsAgentConfig       *config,
                                 WsSpool             *spool);
void      ws_agent_set_once     (WsAgent             *self,
                                 guint                send_timeout_s);
void      ws_agent_start        (WsAgent             *self);
void      ws_agent_stop         (WsAgent             *self);

WsReport *ws_agent_build_report (const WsAgentConfig *config,
                                 const WsSchedule    *schedule,
                                 WsResult            *result,
                                 const GError        *error,
                                 GDateTime           *start);

G_END_DECLS

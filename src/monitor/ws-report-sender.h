/* ws-report-sender.h — delivers an agent's spool to its collectors
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "ws-agent-config.h"
#include "ws-frame.h"
#include "ws-spool.h"

G_BEGIN_DECLS

/* How long to wait before the n-th retry: full jitter over an exponential
 * ceiling (1 s doubling to 5 min). */
#define WS_SENDER_BACKOFF_BASE_S 1
#define WS_SENDER_BACKOFF_MAX_S 300
/* How often an agent with nothing to send asks for its central
 * configuration anyway. */
#define WS_SENDER_CONFIG_REFRESH_S 300

#define WS_TYPE_REPORT_SENDER (ws_report_sender_get_type ())
G_DECLARE_FINAL_TYPE (WsReportSender, ws_report_sender, WS, REPORT_SENDER, GObject)

WsReportSender *ws_report_sender_new         (WsSpool              *spool,
                                              const WsAgentConfig  *config);
void            ws_report_sender_set_digest  (WsReportSender       *self,
                                              const guint8         *digest);
void            ws_report_sender_set_refresh (WsReportSender       *self,
                                              guint                 seconds);
void            ws_report_sender_set_relay   (WsReportSender       *self,
                                              gboolean              relay);
void            ws_report_sender_start       (WsReportSender       *self);
void            ws_report_sender_wake        (WsReportSender       *self);
void            ws_report_sender_stop        (WsReportSender       *self);

gint64          ws_sender_backoff_ceiling_s  (guint                 failures);

G_END_DECLS

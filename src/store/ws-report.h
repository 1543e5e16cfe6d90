/* ws-report.h — one finished test as an agent reports it and a store keeps it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "ws-result.h"

G_BEGIN_DECLS

/* The result plus what makes it trustworthy: who measured it, from where,
 * and how busy the server was. Lives in store/ because everything that
 * builds or reads one (agent, collector, relay: monitor/) sits above it. */
typedef struct {
  char *id;              /* unique: a UUID, lowercase (ws_report_id_normalize) */
  char *agent;           /* the agent's key name */
  char *local_address;   /* the agent's own end of the test; NULL: unknown */
  char *seen_address;    /* the agent as the test server saw it; NULL: unknown */
  gint server_tests;     /* other tests the server was running (by default
                          * the result's, as the server said); -1: unknown */
  char *error;           /* NULL: the test finished; else why it failed */
  WsResult *result;      /* never NULL: a failed test still has its target */
} WsReport;

/* The indexed numbers a store keeps beside the JSON, in this order. NAN
 * (NULL in SQL) where the result did not measure it. */
typedef enum {
  WS_REPORT_DOWNLOAD_BPS,
  WS_REPORT_UPLOAD_BPS,
  WS_REPORT_IDLE_P50_MS,
  WS_REPORT_IDLE_P90_MS,
  WS_REPORT_IDLE_P99_MS,
  WS_REPORT_LOADED_P50_MS,
  WS_REPORT_LOADED_P90_MS,
  WS_REPORT_LOADED_P99_MS,
  WS_REPORT_RR_P50_MS,
  WS_REPORT_RR_P90_MS,
  WS_REPORT_RR_P99_MS,
  WS_REPORT_LOSS_PERCENT,
  WS_REPORT_N_NUMBERS
} WsReportNumber;

/* What a store's indexed columns hold for one report. */
typedef struct {
  gint64 start_time_us;  /* UTC, µs since the epoch */
  WsTestMode mode;
  gdouble numbers[WS_REPORT_N_NUMBERS];
  gboolean failed;
} WsReportFigures;

#define WS_TYPE_REPORT (ws_report_get_type ())
GType ws_report_get_type (void) G_GNUC_CONST;

WsReport   *ws_report_new              (const char            *id,
                                        const char            *agent,
                                        WsResult              *result);
WsReport   *ws_report_copy             (const WsReport        *report);
void        ws_report_free             (WsReport              *report);
char       *ws_report_id_normalize     (const char            *id);
void        ws_report_get_figures      (const WsReport        *report,
                                        JsonNode              *result_json,
                                        WsReportFigures       *figures);
const char *ws_report_number_column    (WsReportNumber         number);
char       *ws_report_to_json          (const WsReport        *report);
WsReport   *ws_report_new_from_json    (const char            *json,
                                        gsize                  len,
                                        GError               **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsReport, ws_report_free)

G_END_DECLS

/* ws-analysis-private.h — what the analysis's files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-analysis.h"
#include "ws-store.h"

G_BEGIN_DECLS

typedef enum {
  WS_ANALYSIS_Q_GROUPS,
  WS_ANALYSIS_Q_HEATMAP,
  WS_ANALYSIS_Q_HOURS,
  WS_ANALYSIS_Q_DAILY,
  WS_ANALYSIS_Q_CONGESTION,
  WS_ANALYSIS_N_QUERIES
} WsAnalysisQuery;

/* How the queries read one source: which rows, and local time. */
typedef struct {
  WsStoreDialect dialect;
  char *source;            /* a table, or a subquery with the reports' columns */
  char *where;             /* the period and the filters, with $1… */
  const char *params[2];
  guint n_params;
  char *local;             /* local time of a row, seconds since the epoch */
  gdouble fraction;
} WsAnalysisSql;

void  _ws_analysis_sql_init    (WsAnalysisSql            *sql,
                                WsStoreDialect            dialect,
                                const char               *source,
                                const WsAnalysisOptions  *options);
void  _ws_analysis_sql_set_tz  (WsAnalysisSql            *sql,
                                GTimeZone                *tz,
                                gint64                    from_s,
                                gint64                    to_s);
void  _ws_analysis_sql_clear   (WsAnalysisSql            *sql);
char *_ws_analysis_range_sql   (const WsAnalysisSql      *sql);
char *_ws_analysis_query_sql   (const WsAnalysisSql      *sql,
                                WsAnalysisQuery           query);

/* Congested hours (the congestion query's rows) into periods. */
GPtrArray *_ws_analysis_periods (const WsStoreRows       *hours,
                                 GTimeZone               *tz);
void  _ws_analysis_period_free (WsAnalysisPeriod         *period);

G_END_DECLS

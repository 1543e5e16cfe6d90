/* ws-analysis.h — what a store's reports say over a period, computed in
 * the database: per path figures, time patterns, congestion periods
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The default share of its baseline below which throughput is congested. */
#define WS_ANALYSIS_DEFAULT_FRACTION 0.7

typedef struct {
  gint64 since_us;        /* UTC µs; G_MININT64: from the first result */
  char *agent;            /* NULL: every agent */
  char *target;           /* NULL: every target */
  GTimeZone *tz;          /* NULL: the local time zone */
  gdouble fraction;       /* of the baseline; 0 < fraction < 1 */
} WsAnalysisOptions;

/* Every gdouble below is NAN where nothing was measured (JSON null). */
typedef struct {
  gdouble mean, min, max, p50, p95;
} WsAnalysisSpread;

typedef struct {
  char *agent;
  char *target;
  char *test;
  gint64 count;
  gint64 failed;
  WsAnalysisSpread download_bps;
  WsAnalysisSpread upload_bps;
  gdouble idle_p50_ms, idle_p95_ms;
  gdouble loaded_p50_ms, loaded_p95_ms;
  gdouble loss_mean, loss_max;
  gint64 first_us, last_us;
} WsAnalysisGroup;

typedef struct {
  gint hour;              /* local, 0–23; -1: none */
  gint64 results;
  gdouble download_p50;
  gdouble loaded_p50_ms;
} WsAnalysisHour;

typedef struct {
  gint64 day;             /* local days since 1970-01-01 */
  gint64 results;
  gint64 failed;
  gdouble download[3];    /* p10, p50, p90 */
  gdouble upload[3];
  gdouble loaded_ms[3];
} WsAnalysisDay;

/* One path's consecutive congested hours. */
typedef struct {
  char *agent;
  char *target;
  char *test;
  gint64 start_s, end_s;  /* UTC */
  guint hours;
  gdouble depth;          /* 1 - the lowest throughput / its baseline */
} WsAnalysisSpan;

/* Spans that overlap in time, of one agent (local) or several (shared). */
typedef struct {
  gint64 start_s, end_s;
  gdouble depth;
  gboolean shared;
  GPtrArray *agents;      /* char *, sorted */
  GPtrArray *targets;
  GPtrArray *spans;       /* WsAnalysisSpan * */
} WsAnalysisPeriod;

typedef struct {
  WsAnalysisOptions options;
  char *location;                      /* as given, without a password */
  char *tz_name;
  gint64 n_results;
  gint64 first_us, last_us;            /* of the period's results */
  GArray *groups;                      /* WsAnalysisGroup, by agent, target, test */
  WsAnalysisHour busiest;
  gint64 heat_results[7][24];          /* day of week (Monday first) × hour */
  gdouble heat_download[7][24];
  gdouble heat_loaded_ms[7][24];
  GArray *days;                        /* WsAnalysisDay, in order */
  GPtrArray *periods;                  /* WsAnalysisPeriod *, by start */
} WsAnalysis;

gboolean    ws_analysis_parse_since  (const char               *text,
                                      GDateTime                *now,
                                      GTimeZone                *tz,
                                      gint64                   *since_us);
WsAnalysis *ws_analysis_run          (const char               *location,
                                      const WsAnalysisOptions  *options,
                                      GError                  **error);
void        ws_analysis_free         (WsAnalysis               *analysis);
char       *ws_analysis_format_time  (const WsAnalysis         *analysis,
                                      gint64                    unix_s);
char       *ws_analysis_format_day   (gint64                    day);

char       *ws_analysis_to_json      (const WsAnalysis         *analysis);
char       *ws_analysis_to_csv       (const WsAnalysis         *analysis);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsAnalysis, ws_analysis_free)

G_END_DECLS

/* ws-histogram.h — log-linear latency histogram (HdrHistogram's idea)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Values are nanoseconds, 1 ns … ~1 hour (WS_HISTOGRAM_MAX_NS), recorded with
 * three significant decimal digits: any value is reported within 0.1 % of
 * what was recorded. Values above the range count in the top bucket. */
#define WS_HISTOGRAM_MAX_NS (G_GUINT64_CONSTANT (3600) * 1000000000u)

typedef struct _WsHistogram WsHistogram;

WsHistogram *ws_histogram_new        (void);
void         ws_histogram_free       (WsHistogram       *h);
void         ws_histogram_reset      (WsHistogram       *h);
void         ws_histogram_record     (WsHistogram       *h,
                                      guint64            value_ns);
void         ws_histogram_merge      (WsHistogram       *into,
                                      const WsHistogram *from);
guint64      ws_histogram_count      (const WsHistogram *h);
guint64      ws_histogram_min        (const WsHistogram *h);
guint64      ws_histogram_max        (const WsHistogram *h);
gdouble      ws_histogram_mean       (const WsHistogram *h);
gdouble      ws_histogram_stddev     (const WsHistogram *h);
/* @percentile in [0, 100]: the smallest recorded value (to 3 significant
 * digits) such that at least @percentile % of the values are ≤ it. */
guint64      ws_histogram_percentile (const WsHistogram *h,
                                      gdouble            percentile);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsHistogram, ws_histogram_free)

G_END_DECLS

/* ws-chart.h — series over time on two value axes, drawn live
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ws-chart-layer.h"

G_BEGIN_DECLS

typedef enum {
  WS_CHART_FORMAT_PNG,
  WS_CHART_FORMAT_SVG,
  WS_CHART_FORMAT_PDF,
} WsChartFormat;

/* The top of an axis for data reaching @max: a round number above it. */
typedef gdouble (*WsChartCeilingFunc) (gdouble  max,
                                       gpointer user_data);
/* An axis label for @value. */
typedef char   *(*WsChartLabelFunc)   (gdouble  value,
                                       gpointer user_data);

#define WS_TYPE_CHART (ws_chart_get_type ())
G_DECLARE_FINAL_TYPE (WsChart, ws_chart, WS, CHART, GtkWidget)

GtkWidget *ws_chart_new              (void);
void       ws_chart_invalidate       (WsChart            *self);
void       ws_chart_add_layer        (WsChart            *self,
                                      WsChartLayer       *layer);
void       ws_chart_set_axis         (WsChart            *self,
                                      WsChartAxis         axis,
                                      WsChartCeilingFunc  ceiling,
                                      WsChartLabelFunc    label,
                                      const GdkRGBA      *label_color,
                                      gpointer            user_data);
void       ws_chart_get_ranges       (WsChart            *self,
                                      gdouble            *max_x,
                                      gdouble            *max_primary,
                                      gdouble            *max_secondary);

gboolean   ws_chart_export           (WsChart            *self,
                                      GOutputStream      *out,
                                      WsChartFormat       format,
                                      int                 width,
                                      int                 height,
                                      GError            **error);
gboolean   ws_chart_save             (WsChart            *self,
                                      GFile              *file,
                                      GError            **error);
gboolean   ws_chart_format_from_name (const char         *name,
                                      WsChartFormat      *format);

G_END_DECLS

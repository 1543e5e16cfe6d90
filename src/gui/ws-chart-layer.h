/* ws-chart-layer.h — one series a WsChart draws
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Which of the chart's value axes a layer is scaled to: the primary one
 * is labelled on the left, the secondary one on the right. */
typedef enum {
  WS_CHART_AXIS_PRIMARY,
  WS_CHART_AXIS_SECONDARY,
} WsChartAxis;

#define WS_TYPE_CHART_AXIS (ws_chart_axis_get_type ())
GType ws_chart_axis_get_type (void) G_GNUC_CONST;

/* The plot area on the surface being drawn, and what its edges stand for. */
typedef struct {
  gdouble x0, y0, w, h;
  gdouble max_x;     /* at the right edge; the left is 0 */
  gdouble max_y[2];  /* at the top, per WsChartAxis; the bottom is 0 */
} WsChartFrame;

gdouble ws_chart_frame_x (const WsChartFrame *frame,
                          gdouble             x);
gdouble ws_chart_frame_y (const WsChartFrame *frame,
                          WsChartAxis         axis,
                          gdouble             y);

#define WS_TYPE_CHART_LAYER (ws_chart_layer_get_type ())
G_DECLARE_DERIVABLE_TYPE (WsChartLayer, ws_chart_layer, WS, CHART_LAYER, GObject)

struct _WsChartLayerClass {
  GObjectClass parent_class;

  /* The largest x and y of the data, 0 when there is none. */
  void     (*get_extent)   (WsChartLayer       *self,
                            gdouble            *max_x,
                            gdouble            *max_y);
  /* Draws the series into @frame; any cairo surface, so exports match. */
  void     (*draw)         (WsChartLayer       *self,
                            cairo_t            *cr,
                            const WsChartFrame *frame);
  /* The data's span around @x, for the hover box's heading. */
  gboolean (*get_interval) (WsChartLayer       *self,
                            gdouble             x,
                            gdouble            *start,
                            gdouble            *end);
  /* Appends the value at @x to the hover box, if there is one. */
  void     (*describe)     (WsChartLayer       *self,
                            gdouble             x,
                            GString            *text);

  gpointer padding[8];
};

const char    *ws_chart_layer_get_title    (WsChartLayer       *self);
const GdkRGBA *ws_chart_layer_get_color    (WsChartLayer       *self);
WsChartAxis    ws_chart_layer_get_axis     (WsChartLayer       *self);
void           ws_chart_layer_changed      (WsChartLayer       *self);

void           ws_chart_layer_get_extent   (WsChartLayer       *self,
                                            gdouble            *max_x,
                                            gdouble            *max_y);
void           ws_chart_layer_draw         (WsChartLayer       *self,
                                            cairo_t            *cr,
                                            const WsChartFrame *frame);
gboolean       ws_chart_layer_get_interval (WsChartLayer       *self,
                                            gdouble             x,
                                            gdouble            *start,
                                            gdouble            *end);
void           ws_chart_layer_describe     (WsChartLayer       *self,
                                            gdouble             x,
                                            GString            *text);

G_END_DECLS

/* ws-line-layer.h — a series of values over intervals, drawn as a line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-chart-layer.h"

G_BEGIN_DECLS

/* One interval's value; NAN: none. */
typedef struct {
  gdouble start;
  gdouble end;
  gdouble value;
} WsLinePoint;

#define WS_TYPE_LINE_LAYER (ws_line_layer_get_type ())
G_DECLARE_FINAL_TYPE (WsLineLayer, ws_line_layer, WS, LINE_LAYER, WsChartLayer)

/* Appends @layer's @value as the hover box shows it (a line of its own). */
typedef void (*WsLineLayerDescribeFunc) (WsLineLayer *layer,
                                         GString     *text,
                                         gdouble      value,
                                         gpointer     user_data);

WsLineLayer *ws_line_layer_new               (const char              *title,
                                              const GdkRGBA           *color,
                                              WsChartAxis              axis);
void         ws_line_layer_set_style         (WsLineLayer             *self,
                                              gdouble                  line_width,
                                              gboolean                 dashed);
void         ws_line_layer_set_describe_func (WsLineLayer             *self,
                                              WsLineLayerDescribeFunc  func,
                                              gpointer                 user_data);
void         ws_line_layer_append            (WsLineLayer             *self,
                                              gdouble                  start,
                                              gdouble                  end,
                                              gdouble                  value);
void         ws_line_layer_append_points     (WsLineLayer             *self,
                                              const WsLinePoint       *points,
                                              guint                    n);
void         ws_line_layer_clear             (WsLineLayer             *self);
guint        ws_line_layer_get_n_points      (WsLineLayer             *self);

G_END_DECLS

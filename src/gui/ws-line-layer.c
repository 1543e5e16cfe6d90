/* ws-line-layer.c — a series of values over intervals, drawn as a line
 *
 * One point per interval (a few hundred at most), NAN where nothing was
 * measured: the line passes through the middle of each interval and
 * breaks at the gaps.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-line-layer.h"

typedef struct {
  gdouble start;
  gdouble end;
  gdouble value;  /* NAN: none */
} Point;

struct _WsLineLayer {
  WsChartLayer parent_instance;

  GArray *points;
  gdouble line_width;
  gboolean dashed;
  WsLineLayerDescribeFunc describe;
  gpointer describe_data;
};

G_DEFINE_FINAL_TYPE (WsLineLayer, ws_line_layer, WS_TYPE_CHART_LAYER)

WsLineLayer *
ws_line_layer_new (const char    *title,
                   const GdkRGBA *color,
                   WsChartAxis    axis)
{
  return g_object_new (WS_TYPE_LINE_LAYER, "title", title, "color", color, "axis", axis, NULL);
}

void
ws_line_layer_set_style (WsLineLayer *self,
                         gdouble      line_width,
                         gboolean     dashed)
{
  g_return_if_fail (WS_IS_LINE_LAYER (self));
  self->line_width = line_width;
  self->dashed = dashed;
  ws_chart_layer_changed (WS_CHART_LAYER (self));
}

/* Without one, the layer adds nothing to the hover box. */
void
ws_line_layer_set_describe_func (WsLineLayer             *self,
                                 WsLineLayerDescribeFunc  func,
                                 gpointer                 user_data)
{
  g_return_if_fail (WS_IS_LINE_LAYER (self));
  self->describe = func;
  self->describe_data = user_data;
}

void
ws_line_layer_append (WsLineLayer *self,
                      gdouble      start,
                      gdouble      end,
                      gdouble      value)
{
  Point p = { start, end, value };

  g_return_if_fail (WS_IS_LINE_LAYER (self));
  g_array_append_val (self->points, p);
  ws_chart_layer_changed (WS_CHART_LAYER (self));
}

void
ws_line_layer_clear (WsLineLayer *self)
{
  g_return_if_fail (WS_IS_LINE_LAYER (self));
  g_array_set_size (self->points, 0);
  ws_chart_layer_changed (WS_CHART_LAYER (self));
}

guint
ws_line_layer_get_n_points (WsLineLayer *self)
{
  g_return_val_if_fail (WS_IS_LINE_LAYER (self), 0);
  return self->points->len;
}

static void
ws_line_layer_get_extent (WsChartLayer *layer,
                          gdouble      *max_x,
                          gdouble      *max_y)
{
  WsLineLayer *self = WS_LINE_LAYER (layer);

  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);

      *max_x = MAX (*max_x, p->end);
      if (!isnan (p->value))
        *max_y = MAX (*max_y, p->value);
    }
}

static void
ws_line_layer_draw (WsChartLayer       *layer,
                    cairo_t            *cr,
                    const WsChartFrame *frame)
{
  WsLineLayer *self = WS_LINE_LAYER (layer);
  const GdkRGBA *color = ws_chart_layer_get_color (layer);
  WsChartAxis axis = ws_chart_layer_get_axis (layer);
  gboolean drawing = FALSE;

  cairo_new_path (cr);
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      gdouble x = ws_chart_frame_x (frame, (p->start + p->end) / 2);
      gdouble y = ws_chart_frame_y (frame, axis, p->value);

      if (isnan (p->value))
        {
          drawing = FALSE;
          continue;
        }
      if (drawing)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      drawing = TRUE;
    }
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha);
  cairo_set_line_width (cr, self->line_width);
  if (self->dashed)
    cairo_set_dash (cr, (const double[]) { 4, 3 }, 2, 0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/* The last interval that starts at or before @x, unless @x is well past
 * its end. */
static const Point *
point_at (WsLineLayer *self,
          gdouble      x)
{
  const Point *p = NULL;

  for (guint i = 0; i < self->points->len; i++)
    if (g_array_index (self->points, Point, i).start <= x)
      p = &g_array_index (self->points, Point, i);
  if (p == NULL || x > p->end + 0.5)
    return NULL;
  return p;
}

static gboolean
ws_line_layer_get_interval (WsChartLayer *layer,
                            gdouble       x,
                            gdouble      *start,
                            gdouble      *end)
{
  const Point *p = point_at (WS_LINE_LAYER (layer), x);

  if (p == NULL)
    return FALSE;
  *start = p->start;
  *end = p->end;
  return TRUE;
}

static void
ws_line_layer_describe (WsChartLayer *layer,
                        gdouble       x,
                        GString      *text)
{
  WsLineLayer *self = WS_LINE_LAYER (layer);
  const Point *p = point_at (self, x);

  if (p != NULL && !isnan (p->value) && self->describe != NULL)
    self->describe (self, text, p->value, self->describe_data);
}

static void
ws_line_layer_finalize (GObject *object)
{
  WsLineLayer *self = WS_LINE_LAYER (object);

  g_array_unref (self->points);
  G_OBJECT_CLASS (ws_line_layer_parent_class)->finalize (object);
}

static void
ws_line_layer_class_init (WsLineLayerClass *klass)
{
  WsChartLayerClass *layer_class = WS_CHART_LAYER_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ws_line_layer_finalize;
  layer_class->get_extent = ws_line_layer_get_extent;
  layer_class->draw = ws_line_layer_draw;
  layer_class->get_interval = ws_line_layer_get_interval;
  layer_class->describe = ws_line_layer_describe;
}

static void
ws_line_layer_init (WsLineLayer *self)
{
  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->line_width = 2.5;
}

/* ws-line-layer.c — a series of values over intervals, drawn as a line
 *
 * One point per interval, NAN where nothing was measured: the line passes
 * through the middle of each interval and breaks at the gaps. An hour of
 * 100 ms intervals is 36,000 points for a chart a thousand pixels wide:
 * with more points than pixels across, each pixel column's lowest and
 * highest point bound a filled band instead (draw_band()), which costs
 * what the width costs. The extent is kept as points come, and the point
 * under the pointer found by bisection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-line-layer.h"

struct _WsLineLayer {
  WsChartLayer parent_instance;

  GArray *points;  /* by start, as they came */
  gdouble max_x;
  gdouble max_y;
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

/* Appends @n points, each starting at or after the one before: one
 * "changed" for all of them. */
void
ws_line_layer_append_points (WsLineLayer       *self,
                             const WsLinePoint *points,
                             guint              n)
{
  g_return_if_fail (WS_IS_LINE_LAYER (self));
  if (n == 0)
    return;
  g_array_append_vals (self->points, points, n);
  for (guint i = 0; i < n; i++)
    {
      self->max_x = MAX (self->max_x, points[i].end);
      if (!isnan (points[i].value))
        self->max_y = MAX (self->max_y, points[i].value);
    }
  ws_chart_layer_changed (WS_CHART_LAYER (self));
}

void
ws_line_layer_append (WsLineLayer *self,
                      gdouble      start,
                      gdouble      end,
                      gdouble      value)
{
  WsLinePoint p = { start, end, value };

  ws_line_layer_append_points (self, &p, 1);
}

void
ws_line_layer_clear (WsLineLayer *self)
{
  g_return_if_fail (WS_IS_LINE_LAYER (self));
  g_array_set_size (self->points, 0);
  self->max_x = self->max_y = 0;
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

  *max_x = self->max_x;
  *max_y = self->max_y;
}

static void
draw_line (WsLineLayer        *self,
           cairo_t            *cr,
           const WsChartFrame *frame,
           WsChartAxis         axis)
{
  gboolean drawing = FALSE;

  for (guint i = 0; i < self->points->len; i++)
    {
      const WsLinePoint *p = &g_array_index (self->points, WsLinePoint, i);
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
}

/* One pixel column of a dense line: its highest and lowest point. */
typedef struct {
  gdouble x;
  gdouble top;
  gdouble bottom;
} Span;

/* The band over @spans, as thick as the line where it is thin; then none. */
static void
close_band (cairo_t *cr,
            GArray  *spans,
            gdouble  half_width)
{
  for (guint i = 0; i < spans->len; i++)
    {
      const Span *s = &g_array_index (spans, Span, i);

      if (i == 0)
        cairo_move_to (cr, s->x, s->top - half_width);
      else
        cairo_line_to (cr, s->x, s->top - half_width);
      cairo_line_to (cr, s->x + 1, s->top - half_width);
    }
  for (guint i = spans->len; i-- > 0;)
    {
      const Span *s = &g_array_index (spans, Span, i);

      cairo_line_to (cr, s->x + 1, s->bottom + half_width);
      cairo_line_to (cr, s->x, s->bottom + half_width);
    }
  if (spans->len > 0)
    cairo_close_path (cr);
  g_array_set_size (spans, 0);
}

/* More points than pixels across: each pixel column's range, filled. It
 * looks as the line through every point does, which is a band there, and
 * costs a fill, where stroking thousands of spikes cost tens of ms. */
static void
draw_band (WsLineLayer        *self,
           cairo_t            *cr,
           const WsChartFrame *frame,
           WsChartAxis         axis)
{
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));

  for (guint i = 0; i < self->points->len; i++)
    {
      const WsLinePoint *p = &g_array_index (self->points, WsLinePoint, i);
      gdouble x = floor (ws_chart_frame_x (frame, (p->start + p->end) / 2));
      gdouble y = ws_chart_frame_y (frame, axis, p->value);
      Span *last = spans->len ? &g_array_index (spans, Span, spans->len - 1) : NULL;

      if (isnan (p->value))
        close_band (cr, spans, self->line_width / 2);
      else if (last != NULL && last->x == x)
        {
          last->top = MIN (last->top, y);
          last->bottom = MAX (last->bottom, y);
        }
      else
        g_array_append_val (spans, ((Span) { x, y, y }));
    }
  close_band (cr, spans, self->line_width / 2);
}

static void
ws_line_layer_draw (WsChartLayer       *layer,
                    cairo_t            *cr,
                    const WsChartFrame *frame)
{
  WsLineLayer *self = WS_LINE_LAYER (layer);
  const GdkRGBA *color = ws_chart_layer_get_color (layer);
  WsChartAxis axis = ws_chart_layer_get_axis (layer);

  cairo_new_path (cr);
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha);
  if (self->points->len > frame->w)
    {
      draw_band (self, cr, frame, axis);
      cairo_fill (cr);
      return;
    }
  draw_line (self, cr, frame, axis);
  cairo_set_line_width (cr, self->line_width);
  if (self->dashed)
    cairo_set_dash (cr, (const double[]) { 4, 3 }, 2, 0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

/* The last interval that starts at or before @x, unless @x is well past
 * its end. */
static const WsLinePoint *
point_at (WsLineLayer *self,
          gdouble      x)
{
  guint lo = 0, hi = self->points->len;
  const WsLinePoint *p;

  /* The first that starts after @x is at hi. */
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (g_array_index (self->points, WsLinePoint, mid).start <= x)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (hi == 0)
    return NULL;
  p = &g_array_index (self->points, WsLinePoint, hi - 1);
  return x > p->end + 0.5 ? NULL : p;
}

static gboolean
ws_line_layer_get_interval (WsChartLayer *layer,
                            gdouble       x,
                            gdouble      *start,
                            gdouble      *end)
{
  const WsLinePoint *p = point_at (WS_LINE_LAYER (layer), x);

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
  const WsLinePoint *p = point_at (self, x);

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
  self->points = g_array_new (FALSE, FALSE, sizeof (WsLinePoint));
  self->line_width = 2.5;
}

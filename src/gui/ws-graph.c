/* ws-graph.c — throughput and latency over time, drawn live
 *
 * The graph keeps its own copy of the points (a few hundred at most: one
 * per interval) and redraws them with cairo on every snapshot. The
 * throughput axis grows to a round number above the highest point; the
 * latency series (the probe's p50, or the RR p50) has its own axis on the
 * right. The pointer shows the values of the interval under it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>

#include "ws-graph.h"
#include "ws-units.h"

#define MARGIN_LEFT 92
#define MARGIN_RIGHT 76
#define MARGIN_TOP 28
#define MARGIN_BOTTOM 28

typedef struct {
  gdouble start_s;
  gdouble end_s;
  gdouble upload_bps;   /* NAN: not measured */
  gdouble download_bps;
  gdouble latency_ms;   /* NAN: none */
} Point;

struct _WsGraph {
  GtkWidget parent_instance;

  GArray *points;
  WsGraphUnits units;
  gdouble hover_x; /* widget x of the pointer, or -1 */
};

G_DEFINE_FINAL_TYPE (WsGraph, ws_graph, GTK_TYPE_WIDGET)

static const GdkRGBA upload_color = { 0.21, 0.52, 0.89, 1 };   /* GNOME blue 3 */
static const GdkRGBA download_color = { 0.18, 0.76, 0.49, 1 }; /* GNOME green 3 */
static const GdkRGBA latency_color = { 0.96, 0.47, 0.0, 1 };   /* GNOME orange 4 */

GtkWidget *
ws_graph_new (void)
{
  return g_object_new (WS_TYPE_GRAPH, NULL);
}

void
ws_graph_clear (WsGraph *self)
{
  g_array_set_size (self->points, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ws_graph_add_sample (WsGraph        *self,
                     const WsSample *sample)
{
  gdouble span = sample->end_s - sample->start_s;
  Point p = { sample->start_s, sample->end_s, NAN, NAN, NAN };

  if (sample->upload.measured)
    p.upload_bps = ws_flow_stats_bps (&sample->upload, span);
  if (sample->download.measured)
    p.download_bps = ws_flow_stats_bps (&sample->download, span);
  p.latency_ms = ws_sample_latency_ms (sample);
  g_array_append_val (self->points, p);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Draw a finished result again, from the history. */
void
ws_graph_set_result (WsGraph        *self,
                     const WsResult *result)
{
  g_array_set_size (self->points, 0);
  for (guint i = 0; result != NULL && i < result->samples->len; i++)
    ws_graph_add_sample (self, &g_array_index (result->samples, WsSample, i));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ws_graph_set_units (WsGraph      *self,
                    WsGraphUnits  units)
{
  self->units = units;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
ws_graph_get_n_points (WsGraph *self)
{
  return self->points->len;
}

/* The axes' ranges: round maxima above the data. */
void
ws_graph_get_ranges (WsGraph *self,
                     gdouble *max_s,
                     gdouble *max_bps,
                     gdouble *max_ms)
{
  gdouble t = 1, bps = 0, ms = 0;

  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);

      t = MAX (t, p->end_s);
      if (!isnan (p->upload_bps))
        bps = MAX (bps, p->upload_bps);
      if (!isnan (p->download_bps))
        bps = MAX (bps, p->download_bps);
      if (!isnan (p->latency_ms))
        ms = MAX (ms, p->latency_ms);
    }
  /* The last interval ends a hair after the whole second it was due at. */
  *max_s = MAX (1, ceil (t - 0.05));
  *max_bps = ws_axis_ceiling_bps (bps, self->units == WS_GRAPH_UNITS_BYTES);
  *max_ms = ws_axis_ceiling (ms > 0 ? ms : 1);
}

static char *
format_rate (WsGraph *self,
             gdouble  bps)
{
  return self->units == WS_GRAPH_UNITS_BYTES ? ws_format_byterate (bps) : ws_format_bitrate (bps);
}

static void
set_color (cairo_t       *cr,
           const GdkRGBA *color,
           gdouble        alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static void
draw_text (GtkWidget  *widget,
           cairo_t    *cr,
           const char *text,
           gdouble     x,
           gdouble     y,
           gdouble     align_x)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align_x * w, y - h / 2.0);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

typedef struct {
  gdouble x0, y0, w, h;
  gdouble max_s, max_bps, max_ms;
} Frame;

static gdouble
frame_x (const Frame *f, gdouble t)
{
  return f->x0 + t / f->max_s * f->w;
}

static void
draw_grid (WsGraph     *self,
           cairo_t     *cr,
           const Frame *f,
           const GdkRGBA *fg)
{
  GtkWidget *widget = GTK_WIDGET (self);

  cairo_set_line_width (cr, 1);
  for (guint i = 0; i <= 4; i++)
    {
      gdouble y = f->y0 + f->h - i * f->h / 4;
      g_autofree char *rate = format_rate (self, f->max_bps * i / 4);
      g_autofree char *ms = g_strdup_printf ("%.3g ms", f->max_ms * i / 4);

      set_color (cr, fg, 0.12);
      cairo_move_to (cr, f->x0, round (y) + 0.5);
      cairo_line_to (cr, f->x0 + f->w, round (y) + 0.5);
      cairo_stroke (cr);
      set_color (cr, fg, 0.7);
      draw_text (widget, cr, rate, f->x0 - 8, y, 1);
      set_color (cr, &latency_color, 1);
      draw_text (widget, cr, ms, f->x0 + f->w + 8, y, 0);
    }
  set_color (cr, fg, 0.7);
  for (guint i = 0; i <= 5; i++)
    {
      gdouble t = f->max_s * i / 5;
      g_autofree char *label = g_strdup_printf ("%.3g s", t);

      draw_text (widget, cr, label, frame_x (f, t), f->y0 + f->h + 14, 0.5);
    }
}

static gdouble
value_of (const Point *p,
          guint        series)
{
  return series == 0 ? p->upload_bps : series == 1 ? p->download_bps : p->latency_ms;
}

/* One line through the middle of each interval; gaps where not measured. */
static void
draw_series (WsGraph       *self,
             cairo_t       *cr,
             const Frame   *f,
             guint          series,
             const GdkRGBA *color)
{
  gdouble max = series == 2 ? f->max_ms : f->max_bps;
  gboolean drawing = FALSE;

  cairo_new_path (cr);
  for (guint i = 0; i < self->points->len; i++)
    {
      const Point *p = &g_array_index (self->points, Point, i);
      gdouble v = value_of (p, series);
      gdouble x = frame_x (f, (p->start_s + p->end_s) / 2);
      gdouble y = f->y0 + f->h - MIN (v / max, 1) * f->h;

      if (isnan (v))
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
  set_color (cr, color, 1);
  cairo_set_line_width (cr, series == 2 ? 1.5 : 2.5);
  if (series == 2)
    cairo_set_dash (cr, (const double[]) { 4, 3 }, 2, 0);
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
}

static void
draw_legend (WsGraph     *self,
             cairo_t     *cr,
             const Frame *f)
{
  const char *names[] = { _("Upload"), _("Download"), _("Latency (p50)") };
  const GdkRGBA *colors[] = { &upload_color, &download_color, &latency_color };
  gdouble x = f->x0;

  for (guint i = 0; i < 3; i++)
    {
      PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), names[i]);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      set_color (cr, colors[i], 1);
      cairo_rectangle (cr, x, MARGIN_TOP / 2.0 - 4, 12, 8);
      cairo_fill (cr);
      cairo_move_to (cr, x + 16, MARGIN_TOP / 2.0 - h / 2.0);
      pango_cairo_show_layout (cr, layout);
      x += 16 + w + 18;
      g_object_unref (layout);
    }
}

/* The values of the interval under the pointer, in a box beside it. */
static void
draw_hover (WsGraph       *self,
            cairo_t       *cr,
            const Frame   *f,
            const GdkRGBA *fg)
{
  gdouble t = (self->hover_x - f->x0) / f->w * f->max_s;
  g_autoptr(GString) text = g_string_new (NULL);
  const Point *p = NULL;
  PangoLayout *layout;
  int w, h;
  gdouble bx;

  for (guint i = 0; i < self->points->len; i++)
    if (g_array_index (self->points, Point, i).start_s <= t)
      p = &g_array_index (self->points, Point, i);
  if (p == NULL || t > p->end_s + 0.5)
    return;

  g_string_append_printf (text, "%.1f–%.1f s", p->start_s, p->end_s);
  for (guint series = 0; series < 2; series++)
    if (!isnan (value_of (p, series)))
      {
        g_autofree char *rate = format_rate (self, value_of (p, series));
        g_string_append_printf (text, "\n%s %s", series == 0 ? _("Upload") : _("Download"), rate);
      }
  if (!isnan (p->latency_ms))
    g_string_append_printf (text, _("\nLatency %.2f ms"), p->latency_ms);

  set_color (cr, fg, 0.4);
  cairo_move_to (cr, round (self->hover_x) + 0.5, f->y0);
  cairo_line_to (cr, round (self->hover_x) + 0.5, f->y0 + f->h);
  cairo_stroke (cr);

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text->str);
  pango_layout_get_pixel_size (layout, &w, &h);
  bx = self->hover_x + 10 + w + 12 > f->x0 + f->w ? self->hover_x - 10 - w - 12 : self->hover_x + 10;
  cairo_rectangle (cr, bx, f->y0 + 8, w + 12, h + 8);
  cairo_set_source_rgba (cr, 0.1, 0.1, 0.12, 0.85);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, bx + 6, f->y0 + 12);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

/* Everything but the hover box, on any cairo surface: the widget's
 * snapshot and the exported files share it. */
static void
render (WsGraph       *self,
        cairo_t       *cr,
        int            width,
        int            height,
        const GdkRGBA *fg,
        Frame         *f)
{
  f->x0 = MARGIN_LEFT;
  f->y0 = MARGIN_TOP;
  f->w = width - MARGIN_LEFT - MARGIN_RIGHT;
  f->h = height - MARGIN_TOP - MARGIN_BOTTOM;
  ws_graph_get_ranges (self, &f->max_s, &f->max_bps, &f->max_ms);

  draw_grid (self, cr, f, fg);
  draw_series (self, cr, f, 2, &latency_color);
  draw_series (self, cr, f, 0, &upload_color);
  draw_series (self, cr, f, 1, &download_color);
  set_color (cr, fg, 1);
  draw_legend (self, cr, f);
}

static void
ws_graph_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  WsGraph *self = WS_GRAPH (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA fg;
  cairo_t *cr;
  Frame f;

  if (width <= MARGIN_LEFT + MARGIN_RIGHT || height <= MARGIN_TOP + MARGIN_BOTTOM)
    return;
  /* The theme's foreground: the grid and labels follow dark and light. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  render (self, cr, width, height, &fg, &f);
  if (self->hover_x >= f.x0 && self->hover_x <= f.x0 + f.w)
    draw_hover (self, cr, &f, &fg);
  cairo_destroy (cr);
}

typedef struct {
  GOutputStream *out;
  GError *error;
} Sink;

static cairo_status_t
write_to_sink (void                *closure,
               const unsigned char *data,
               unsigned int         length)
{
  Sink *sink = closure;

  if (sink->error != NULL)
    return CAIRO_STATUS_WRITE_ERROR;
  if (!g_output_stream_write_all (sink->out, data, length, NULL, NULL, &sink->error))
    return CAIRO_STATUS_WRITE_ERROR;
  return CAIRO_STATUS_SUCCESS;
}

static cairo_surface_t *
create_surface (WsGraphFormat  format,
                Sink          *sink,
                int            width,
                int            height)
{
  switch (format)
    {
    case WS_GRAPH_FORMAT_SVG:
      return cairo_svg_surface_create_for_stream (write_to_sink, sink, width, height);
    case WS_GRAPH_FORMAT_PDF:
      return cairo_pdf_surface_create_for_stream (write_to_sink, sink, width, height);
    case WS_GRAPH_FORMAT_PNG:
    default:
      return cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
    }
}

/* The graph as a file to share: dark ink on white whatever the theme, as it
 * will be pasted into documents and tickets. */
gboolean
ws_graph_export (WsGraph        *self,
                 GOutputStream  *out,
                 WsGraphFormat   format,
                 int             width,
                 int             height,
                 GError        **error)
{
  static const GdkRGBA ink = { 0.14, 0.14, 0.16, 1 };
  Sink sink = { out, NULL };
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  Frame f;

  g_return_val_if_fail (width > MARGIN_LEFT + MARGIN_RIGHT && height > MARGIN_TOP + MARGIN_BOTTOM, FALSE);
  surface = create_surface (format, &sink, width, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  render (self, cr, width, height, &ink, &f);
  cairo_destroy (cr);
  if (format == WS_GRAPH_FORMAT_PNG)
    cairo_surface_write_to_png_stream (surface, write_to_sink, &sink);
  cairo_surface_finish (surface);
  status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (sink.error != NULL)
    {
      g_propagate_error (error, sink.error);
      return FALSE;
    }
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}

/* "png", "svg" or "pdf" (any case, as a file's extension) → format. */
gboolean
ws_graph_format_from_name (const char    *name,
                           WsGraphFormat *format)
{
  static const char *const names[] = { "png", "svg", "pdf" };

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i]) == 0)
      {
        *format = i;
        return TRUE;
      }
  return FALSE;
}

static void
on_motion (GtkEventControllerMotion *motion,
           gdouble                   x,
           gdouble                   y,
           WsGraph                  *self)
{
  self->hover_x = x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion,
          WsGraph                  *self)
{
  self->hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ws_graph_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 320 : 180;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 640 : 300;
}

static void
ws_graph_finalize (GObject *object)
{
  WsGraph *self = WS_GRAPH (object);

  g_array_unref (self->points);
  G_OBJECT_CLASS (ws_graph_parent_class)->finalize (object);
}

static void
ws_graph_class_init (WsGraphClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = ws_graph_finalize;
  widget_class->snapshot = ws_graph_snapshot;
  widget_class->measure = ws_graph_measure;
  gtk_widget_class_set_css_name (widget_class, "wsgraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ws_graph_init (WsGraph *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->points = g_array_new (FALSE, FALSE, sizeof (Point));
  self->hover_x = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Throughput and latency over time"), -1);
}

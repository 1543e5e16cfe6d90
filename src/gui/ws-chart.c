/* ws-chart.c — series over time on two value axes, drawn live
 *
 * The chart draws the frame every layer shares: the time axis along the
 * bottom, a primary value axis labelled on the left and a secondary one
 * on the right, the grid, the legend, and the values under the pointer.
 * What is plotted is up to its WsChartLayers (as Sysprof's SysprofChart
 * and its layers), each scaled to one of the axes; everything is drawn
 * with cairo, so the widget's snapshot and the exported files are the same
 * drawing. Each axis grows to a round number above its highest value.
 *
 * What is drawn is kept as a render node until something it shows changes
 * (a layer's data, an axis, the size, the theme): moving the pointer draws
 * the hover box again over that node, and a frame of the window in which
 * only the figures changed reuses it whole, so the renderer finds nothing
 * to repaint there. However many samples come between two frames, the
 * chart is drawn once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>

#include "ws-chart.h"

#define MARGIN_LEFT 92
#define MARGIN_RIGHT 76
#define MARGIN_TOP 28
#define MARGIN_BOTTOM 28

/* The size of an exported image: wide enough for a document's page. */
#define EXPORT_WIDTH 1200
#define EXPORT_HEIGHT 600

typedef struct {
  WsChartCeilingFunc ceiling;
  WsChartLabelFunc label;
  GdkRGBA color;
  gboolean has_color;  /* else the theme's foreground, dimmed */
  gpointer data;
} Axis;

struct _WsChart {
  GtkWidget parent_instance;

  GPtrArray *layers;   /* in the legend's order */
  Axis axes[2];        /* by WsChartAxis */
  gdouble hover_x;     /* widget x of the pointer, or -1 */

  /* The chart without the hover box, as last drawn, and what for */
  GskRenderNode *drawn;
  int drawn_width;
  int drawn_height;
  GdkRGBA drawn_fg;
  WsChartFrame drawn_frame;
};

G_DEFINE_FINAL_TYPE (WsChart, ws_chart, GTK_TYPE_WIDGET)

GtkWidget *
ws_chart_new (void)
{
  return g_object_new (WS_TYPE_CHART, NULL);
}

/* Something the chart shows has changed: a layer's data, or what an
 * axis's ceiling or label function reads. It is drawn again once, at the
 * next frame. */
void
ws_chart_invalidate (WsChart *self)
{
  g_return_if_fail (WS_IS_CHART (self));
  g_clear_pointer (&self->drawn, gsk_render_node_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
ws_chart_add_layer (WsChart      *self,
                    WsChartLayer *layer)
{
  g_return_if_fail (WS_IS_CHART (self));
  g_return_if_fail (WS_IS_CHART_LAYER (layer));
  g_ptr_array_add (self->layers, g_object_ref (layer));
  g_signal_connect_object (layer, "changed", G_CALLBACK (ws_chart_invalidate), self, G_CONNECT_SWAPPED);
  ws_chart_invalidate (self);
}

/* @label_color: (nullable): the labels' colour; NULL for the theme's. An
 * axis with no @label has no labels. */
void
ws_chart_set_axis (WsChart            *self,
                   WsChartAxis         axis,
                   WsChartCeilingFunc  ceiling,
                   WsChartLabelFunc    label,
                   const GdkRGBA      *label_color,
                   gpointer            user_data)
{
  Axis *a;

  g_return_if_fail (WS_IS_CHART (self));
  g_return_if_fail (axis <= WS_CHART_AXIS_SECONDARY);
  a = &self->axes[axis];
  a->ceiling = ceiling;
  a->label = label;
  a->has_color = label_color != NULL;
  if (label_color != NULL)
    a->color = *label_color;
  a->data = user_data;
  ws_chart_invalidate (self);
}

/* The axes' ranges: round maxima above the data. */
void
ws_chart_get_ranges (WsChart *self,
                     gdouble *max_x,
                     gdouble *max_primary,
                     gdouble *max_secondary)
{
  gdouble t = 1, top[2] = { 0, 0 };

  for (guint i = 0; i < self->layers->len; i++)
    {
      WsChartLayer *layer = g_ptr_array_index (self->layers, i);
      WsChartAxis axis = ws_chart_layer_get_axis (layer);
      gdouble x, y;

      ws_chart_layer_get_extent (layer, &x, &y);
      t = MAX (t, x);
      top[axis] = MAX (top[axis], y);
    }
  /* The last interval ends a hair after the whole second it was due at. */
  *max_x = MAX (1, ceil (t - 0.05));
  for (guint axis = 0; axis < 2; axis++)
    {
      const Axis *a = &self->axes[axis];

      top[axis] = a->ceiling ? a->ceiling (top[axis], a->data) : (top[axis] > 0 ? top[axis] : 1);
    }
  *max_primary = top[WS_CHART_AXIS_PRIMARY];
  *max_secondary = top[WS_CHART_AXIS_SECONDARY];
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

static void
draw_axis_label (WsChart       *self,
                 cairo_t       *cr,
                 WsChartAxis    axis,
                 gdouble        value,
                 gdouble        x,
                 gdouble        y,
                 const GdkRGBA *fg)
{
  const Axis *a = &self->axes[axis];
  g_autofree char *text = NULL;

  if (a->label == NULL)
    return;
  text = a->label (value, a->data);
  if (a->has_color)
    set_color (cr, &a->color, 1);
  else
    set_color (cr, fg, 0.7);
  draw_text (GTK_WIDGET (self), cr, text, x, y, axis == WS_CHART_AXIS_PRIMARY ? 1 : 0);
}

static void
draw_grid (WsChart            *self,
           cairo_t            *cr,
           const WsChartFrame *f,
           const GdkRGBA      *fg)
{
  cairo_set_line_width (cr, 1);
  for (guint i = 0; i <= 4; i++)
    {
      gdouble y = f->y0 + f->h - i * f->h / 4;

      set_color (cr, fg, 0.12);
      cairo_move_to (cr, f->x0, round (y) + 0.5);
      cairo_line_to (cr, f->x0 + f->w, round (y) + 0.5);
      cairo_stroke (cr);
      draw_axis_label (self, cr, WS_CHART_AXIS_PRIMARY, f->max_y[WS_CHART_AXIS_PRIMARY] * i / 4,
                       f->x0 - 8, y, fg);
      draw_axis_label (self, cr, WS_CHART_AXIS_SECONDARY, f->max_y[WS_CHART_AXIS_SECONDARY] * i / 4,
                       f->x0 + f->w + 8, y, fg);
    }
  set_color (cr, fg, 0.7);
  for (guint i = 0; i <= 5; i++)
    {
      gdouble t = f->max_x * i / 5;
      g_autofree char *label = g_strdup_printf ("%.3g s", t);

      draw_text (GTK_WIDGET (self), cr, label, ws_chart_frame_x (f, t), f->y0 + f->h + 14, 0.5);
    }
}

static void
draw_legend (WsChart            *self,
             cairo_t            *cr,
             const WsChartFrame *f)
{
  gdouble x = f->x0;

  for (guint i = 0; i < self->layers->len; i++)
    {
      WsChartLayer *layer = g_ptr_array_index (self->layers, i);
      PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), ws_chart_layer_get_title (layer));
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      set_color (cr, ws_chart_layer_get_color (layer), 1);
      cairo_rectangle (cr, x, MARGIN_TOP / 2.0 - 4, 12, 8);
      cairo_fill (cr);
      cairo_move_to (cr, x + 16, MARGIN_TOP / 2.0 - h / 2.0);
      pango_cairo_show_layout (cr, layout);
      x += 16 + w + 18;
      g_object_unref (layout);
    }
}

/* The first layer with data under the pointer says which interval that is;
 * every layer then adds its value there. */
static gboolean
describe_at (WsChart *self,
             gdouble  t,
             GString *text)
{
  gdouble start, end;
  guint i;

  for (i = 0; i < self->layers->len; i++)
    if (ws_chart_layer_get_interval (g_ptr_array_index (self->layers, i), t, &start, &end))
      break;
  if (i == self->layers->len)
    return FALSE;
  g_string_append_printf (text, "%.1f–%.1f s", start, end);
  for (i = 0; i < self->layers->len; i++)
    ws_chart_layer_describe (g_ptr_array_index (self->layers, i), t, text);
  return TRUE;
}

/* The values of the interval under the pointer, in a box beside it. */
static void
draw_hover (WsChart            *self,
            cairo_t            *cr,
            const WsChartFrame *f,
            const GdkRGBA      *fg)
{
  gdouble t = (self->hover_x - f->x0) / f->w * f->max_x;
  g_autoptr(GString) text = g_string_new (NULL);
  PangoLayout *layout;
  int w, h;
  gdouble bx;

  if (!describe_at (self, t, text))
    return;

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
 * snapshot and the exported files share it. The secondary axis's layers
 * go first, beneath the primary ones. */
static void
render (WsChart       *self,
        cairo_t       *cr,
        int            width,
        int            height,
        const GdkRGBA *fg,
        WsChartFrame  *f)
{
  f->x0 = MARGIN_LEFT;
  f->y0 = MARGIN_TOP;
  f->w = width - MARGIN_LEFT - MARGIN_RIGHT;
  f->h = height - MARGIN_TOP - MARGIN_BOTTOM;
  ws_chart_get_ranges (self, &f->max_x, &f->max_y[WS_CHART_AXIS_PRIMARY], &f->max_y[WS_CHART_AXIS_SECONDARY]);

  draw_grid (self, cr, f, fg);
  for (int axis = WS_CHART_AXIS_SECONDARY; axis >= WS_CHART_AXIS_PRIMARY; axis--)
    for (guint i = 0; i < self->layers->len; i++)
      if ((int) ws_chart_layer_get_axis (g_ptr_array_index (self->layers, i)) == axis)
        ws_chart_layer_draw (g_ptr_array_index (self->layers, i), cr, f);
  set_color (cr, fg, 1);
  draw_legend (self, cr, f);
}

/* The chart for the widget's size and colours, drawn again only when
 * something in it changed. */
static GskRenderNode *
get_drawn (WsChart       *self,
           int            width,
           int            height,
           const GdkRGBA *fg)
{
  GtkSnapshot *snapshot;
  cairo_t *cr;

  if (self->drawn != NULL && self->drawn_width == width && self->drawn_height == height
      && gdk_rgba_equal (&self->drawn_fg, fg))
    return self->drawn;
  g_clear_pointer (&self->drawn, gsk_render_node_unref);
  snapshot = gtk_snapshot_new ();
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  render (self, cr, width, height, fg, &self->drawn_frame);
  cairo_destroy (cr);
  self->drawn = gtk_snapshot_free_to_node (snapshot);
  self->drawn_width = width;
  self->drawn_height = height;
  self->drawn_fg = *fg;
  return self->drawn;
}

static void
ws_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  WsChart *self = WS_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  const WsChartFrame *f = &self->drawn_frame;
  GskRenderNode *drawn;
  GdkRGBA fg;
  cairo_t *cr;

  if (width <= MARGIN_LEFT + MARGIN_RIGHT || height <= MARGIN_TOP + MARGIN_BOTTOM)
    return;
  /* The theme's foreground: the grid and labels follow dark and light. */
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  drawn = get_drawn (self, width, height, &fg);
  if (drawn != NULL)
    gtk_snapshot_append_node (snapshot, drawn);
  if (self->hover_x < f->x0 || self->hover_x > f->x0 + f->w)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_hover (self, cr, f, &fg);
  cairo_destroy (cr);
}

/* The theme or the font changed: the labels' colour and size with it. */
static void
ws_chart_css_changed (GtkWidget         *widget,
                      GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (ws_chart_parent_class)->css_changed (widget, change);
  ws_chart_invalidate (WS_CHART (widget));
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
create_surface (WsChartFormat  format,
                Sink          *sink,
                int            width,
                int            height)
{
  switch (format)
    {
    case WS_CHART_FORMAT_SVG:
      return cairo_svg_surface_create_for_stream (write_to_sink, sink, width, height);
    case WS_CHART_FORMAT_PDF:
      return cairo_pdf_surface_create_for_stream (write_to_sink, sink, width, height);
    case WS_CHART_FORMAT_PNG:
    default:
      return cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
    }
}

/* The chart as a file to share: dark ink on white whatever the theme, as it
 * will be pasted into documents and tickets. */
gboolean
ws_chart_export (WsChart        *self,
                 GOutputStream  *out,
                 WsChartFormat   format,
                 int             width,
                 int             height,
                 GError        **error)
{
  static const GdkRGBA ink = { 0.14, 0.14, 0.16, 1 };
  Sink sink = { out, NULL };
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  WsChartFrame f;

  g_return_val_if_fail (width > MARGIN_LEFT + MARGIN_RIGHT && height > MARGIN_TOP + MARGIN_BOTTOM, FALSE);
  surface = create_surface (format, &sink, width, height);
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  render (self, cr, width, height, &ink, &f);
  cairo_destroy (cr);
  if (format == WS_CHART_FORMAT_PNG)
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

/* Writes the chart to @file in the format its name ends with. */
gboolean
ws_chart_save (WsChart  *self,
               GFile    *file,
               GError  **error)
{
  g_autofree char *name = g_file_get_basename (file);
  const char *dot = strrchr (name, '.');
  g_autoptr(GFileOutputStream) out = NULL;
  WsChartFormat format;

  if (dot == NULL || !ws_chart_format_from_name (dot + 1, &format))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_FILENAME,
                   _("Choose a name ending in .png, .svg or .pdf"));
      return FALSE;
    }
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  return out != NULL
         && ws_chart_export (self, G_OUTPUT_STREAM (out), format, EXPORT_WIDTH, EXPORT_HEIGHT, error)
         && g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}

/* "png", "svg" or "pdf" (any case, as a file's extension) → format. */
gboolean
ws_chart_format_from_name (const char    *name,
                           WsChartFormat *format)
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
           WsChart                  *self)
{
  self->hover_x = x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion,
          WsChart                  *self)
{
  self->hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
ws_chart_measure (GtkWidget      *widget,
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
ws_chart_dispose (GObject *object)
{
  WsChart *self = WS_CHART (object);

  g_ptr_array_set_size (self->layers, 0);
  g_clear_pointer (&self->drawn, gsk_render_node_unref);
  G_OBJECT_CLASS (ws_chart_parent_class)->dispose (object);
}

static void
ws_chart_finalize (GObject *object)
{
  WsChart *self = WS_CHART (object);

  g_ptr_array_unref (self->layers);
  G_OBJECT_CLASS (ws_chart_parent_class)->finalize (object);
}

static void
ws_chart_class_init (WsChartClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ws_chart_dispose;
  G_OBJECT_CLASS (klass)->finalize = ws_chart_finalize;
  widget_class->snapshot = ws_chart_snapshot;
  widget_class->css_changed = ws_chart_css_changed;
  widget_class->measure = ws_chart_measure;
  gtk_widget_class_set_css_name (widget_class, "wschart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
ws_chart_init (WsChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->layers = g_ptr_array_new_with_free_func (g_object_unref);
  self->hover_x = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

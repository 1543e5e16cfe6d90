/* ws-chart-layer.c — one series a WsChart draws
 *
 * A layer owns its data and knows how to draw it into the frame the chart
 * hands it; the chart owns the axes, the grid, the legend and the pointer.
 * A layer says "changed" when its data changes, and the chart redraws.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-chart-layer.h"

typedef struct {
  char *title;
  GdkRGBA color;
  WsChartAxis axis;
} WsChartLayerPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (WsChartLayer, ws_chart_layer, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (WsChartAxis, ws_chart_axis,
  G_DEFINE_ENUM_VALUE (WS_CHART_AXIS_PRIMARY, "primary"),
  G_DEFINE_ENUM_VALUE (WS_CHART_AXIS_SECONDARY, "secondary"))

enum { PROP_0, PROP_TITLE, PROP_COLOR, PROP_AXIS, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

gdouble
ws_chart_frame_x (const WsChartFrame *frame,
                  gdouble             x)
{
  return frame->x0 + x / frame->max_x * frame->w;
}

/* Values above the top are drawn at the top. */
gdouble
ws_chart_frame_y (const WsChartFrame *frame,
                  WsChartAxis         axis,
                  gdouble             y)
{
  return frame->y0 + frame->h - MIN (y / frame->max_y[axis], 1) * frame->h;
}

const char *
ws_chart_layer_get_title (WsChartLayer *self)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (self);

  g_return_val_if_fail (WS_IS_CHART_LAYER (self), NULL);
  return priv->title;
}

const GdkRGBA *
ws_chart_layer_get_color (WsChartLayer *self)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (self);

  g_return_val_if_fail (WS_IS_CHART_LAYER (self), NULL);
  return &priv->color;
}

WsChartAxis
ws_chart_layer_get_axis (WsChartLayer *self)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (self);

  g_return_val_if_fail (WS_IS_CHART_LAYER (self), WS_CHART_AXIS_PRIMARY);
  return priv->axis;
}

/* For subclasses: the data changed, the chart should draw it again. */
void
ws_chart_layer_changed (WsChartLayer *self)
{
  g_return_if_fail (WS_IS_CHART_LAYER (self));
  g_signal_emit (self, signals[CHANGED], 0);
}

void
ws_chart_layer_get_extent (WsChartLayer *self,
                           gdouble      *max_x,
                           gdouble      *max_y)
{
  *max_x = *max_y = 0;
  if (WS_CHART_LAYER_GET_CLASS (self)->get_extent)
    WS_CHART_LAYER_GET_CLASS (self)->get_extent (self, max_x, max_y);
}

void
ws_chart_layer_draw (WsChartLayer       *self,
                     cairo_t            *cr,
                     const WsChartFrame *frame)
{
  if (WS_CHART_LAYER_GET_CLASS (self)->draw)
    WS_CHART_LAYER_GET_CLASS (self)->draw (self, cr, frame);
}

gboolean
ws_chart_layer_get_interval (WsChartLayer *self,
                             gdouble       x,
                             gdouble      *start,
                             gdouble      *end)
{
  if (WS_CHART_LAYER_GET_CLASS (self)->get_interval == NULL)
    return FALSE;
  return WS_CHART_LAYER_GET_CLASS (self)->get_interval (self, x, start, end);
}

void
ws_chart_layer_describe (WsChartLayer *self,
                         gdouble       x,
                         GString      *text)
{
  if (WS_CHART_LAYER_GET_CLASS (self)->describe)
    WS_CHART_LAYER_GET_CLASS (self)->describe (self, x, text);
}

static void
ws_chart_layer_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (WS_CHART_LAYER (object));

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, priv->title);
      break;
    case PROP_COLOR:
      g_value_set_boxed (value, &priv->color);
      break;
    case PROP_AXIS:
      g_value_set_enum (value, priv->axis);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_chart_layer_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (WS_CHART_LAYER (object));
  const GdkRGBA *color;

  switch (prop_id)
    {
    case PROP_TITLE:
      g_free (priv->title);
      priv->title = g_value_dup_string (value);
      break;
    case PROP_COLOR:
      color = g_value_get_boxed (value);
      if (color != NULL)
        priv->color = *color;
      break;
    case PROP_AXIS:
      priv->axis = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_chart_layer_finalize (GObject *object)
{
  WsChartLayerPrivate *priv = ws_chart_layer_get_instance_private (WS_CHART_LAYER (object));

  g_free (priv->title);
  G_OBJECT_CLASS (ws_chart_layer_parent_class)->finalize (object);
}

static void
ws_chart_layer_class_init (WsChartLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_chart_layer_finalize;
  object_class->get_property = ws_chart_layer_get_property;
  object_class->set_property = ws_chart_layer_set_property;
  /* What the legend calls the series. */
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR] =
    g_param_spec_boxed ("color", NULL, NULL, GDK_TYPE_RGBA,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AXIS] =
    g_param_spec_enum ("axis", NULL, NULL, WS_TYPE_CHART_AXIS, WS_CHART_AXIS_PRIMARY,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ws_chart_layer_init (WsChartLayer *self)
{
}

/* ws-figure.c — one headline figure: a caption over a large value
 *
 * "—" stands for no value, as a person reads an empty cell.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-figure.h"

struct _WsFigure {
  GtkFlowBoxChild parent_instance;

  GtkLabel *caption;
  GtkLabel *value;
};

G_DEFINE_FINAL_TYPE (WsFigure, ws_figure, GTK_TYPE_FLOW_BOX_CHILD)

enum { PROP_0, PROP_TITLE, PROP_VALUE, N_PROPS };
static GParamSpec *properties[N_PROPS];

const char *
ws_figure_get_value (WsFigure *self)
{
  g_return_val_if_fail (WS_IS_FIGURE (self), NULL);
  return gtk_label_get_text (self->value);
}

/* @value: (nullable): NULL shows "—" */
void
ws_figure_set_value (WsFigure   *self,
                     const char *value)
{
  g_return_if_fail (WS_IS_FIGURE (self));
  if (value == NULL)
    value = "—";
  if (g_strcmp0 (value, gtk_label_get_text (self->value)) == 0)
    return;
  gtk_label_set_text (self->value, value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

static void
ws_figure_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  WsFigure *self = WS_FIGURE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, gtk_label_get_text (self->caption));
      break;
    case PROP_VALUE:
      g_value_set_string (value, ws_figure_get_value (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_figure_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  WsFigure *self = WS_FIGURE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      gtk_label_set_text (self->caption, g_value_get_string (value));
      break;
    case PROP_VALUE:
      ws_figure_set_value (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_figure_class_init (WsFigureClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = ws_figure_get_property;
  object_class->set_property = ws_figure_set_property;
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_VALUE] =
    g_param_spec_string ("value", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/wirespeed/Wirespeed/ws-figure.ui");
  gtk_widget_class_bind_template_child (widget_class, WsFigure, caption);
  gtk_widget_class_bind_template_child (widget_class, WsFigure, value);
}

static void
ws_figure_init (WsFigure *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

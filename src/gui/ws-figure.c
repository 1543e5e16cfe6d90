/* ws-figure.c — one headline figure: a caption over a large value
 *
 * "—" stands for no value, as a person reads an empty cell. A value that
 * changes with every interval of a running test goes to an inscription,
 * whose size does not depend on its text: a label's new text lays out the
 * whole window again (on X11 each layout of a window asks the X server
 * where the window is), an inscription's is only drawn. The final value
 * is a label again, which takes the room it needs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-figure.h"

struct _WsFigure {
  GtkFlowBoxChild parent_instance;

  GtkLabel *caption;
  GtkLabel *value;
  GtkInscription *live;
};

G_DEFINE_FINAL_TYPE (WsFigure, ws_figure, GTK_TYPE_FLOW_BOX_CHILD)

enum { PROP_0, PROP_TITLE, PROP_VALUE, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* The value shown, live or final. */
const char *
ws_figure_get_value (WsFigure *self)
{
  g_return_val_if_fail (WS_IS_FIGURE (self), NULL);
  if (gtk_widget_get_visible (GTK_WIDGET (self->live)))
    return gtk_inscription_get_text (self->live);
  return gtk_label_get_text (self->value);
}

static void
show_live (WsFigure *self,
           gboolean  live)
{
  gtk_widget_set_visible (GTK_WIDGET (self->live), live);
  gtk_widget_set_visible (GTK_WIDGET (self->value), !live);
}

/* @value: (nullable): NULL shows "—" */
void
ws_figure_set_value (WsFigure   *self,
                     const char *value)
{
  g_return_if_fail (WS_IS_FIGURE (self));
  if (value == NULL)
    value = "—";
  if (g_strcmp0 (value, ws_figure_get_value (self)) == 0)
    return;
  show_live (self, FALSE);
  gtk_label_set_text (self->value, value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VALUE]);
}

/* A value of a running test, soon followed by another. */
void
ws_figure_set_live_value (WsFigure   *self,
                          const char *value)
{
  g_return_if_fail (WS_IS_FIGURE (self));
  if (g_strcmp0 (value, ws_figure_get_value (self)) == 0)
    return;
  if (!gtk_widget_get_visible (GTK_WIDGET (self->live)))
    show_live (self, TRUE);
  gtk_inscription_set_text (self->live, value);
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
  gtk_widget_class_bind_template_child (widget_class, WsFigure, live);
}

static void
ws_figure_init (WsFigure *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

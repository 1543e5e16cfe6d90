/* ws-figure.h — one headline figure: a caption over a large value
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WS_TYPE_FIGURE (ws_figure_get_type ())
G_DECLARE_FINAL_TYPE (WsFigure, ws_figure, WS, FIGURE, GtkFlowBoxChild)

const char *ws_figure_get_value      (WsFigure   *self);
void        ws_figure_set_value      (WsFigure   *self,
                                      const char *value);
void        ws_figure_set_live_value (WsFigure   *self,
                                      const char *value);

G_END_DECLS

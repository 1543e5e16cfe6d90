/* ws-figures.h — the live figures, the chart and the status of a test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ws-chart.h"
#include "ws-result.h"

G_BEGIN_DECLS

#define WS_TYPE_FIGURES (ws_figures_get_type ())
G_DECLARE_FINAL_TYPE (WsFigures, ws_figures, WS, FIGURES, GtkBox)

WsChart *ws_figures_get_chart       (WsFigures      *self);
void     ws_figures_set_bytes       (WsFigures      *self,
                                     gboolean        bytes);
void     ws_figures_reset           (WsFigures      *self);
void     ws_figures_show_mode       (WsFigures      *self,
                                     WsTestMode      mode);
void     ws_figures_add_sample      (WsFigures      *self,
                                     const WsSample *sample);
void     ws_figures_show_result     (WsFigures      *self,
                                     WsResult       *result);
void     ws_figures_load_result     (WsFigures      *self,
                                     WsResult       *result);
void     ws_figures_set_status      (WsFigures      *self,
                                     const char     *text,
                                     gboolean        error);
void     ws_figures_set_progress    (WsFigures      *self,
                                     const char     *text);

G_END_DECLS

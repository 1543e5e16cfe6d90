/* ws-graph.h — throughput and latency over time, drawn live
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ws-result.h"

G_BEGIN_DECLS

typedef enum {
  WS_GRAPH_UNITS_BITS,  /* Mbit/s */
  WS_GRAPH_UNITS_BYTES, /* MB/s */
} WsGraphUnits;

#define WS_TYPE_GRAPH (ws_graph_get_type ())
G_DECLARE_FINAL_TYPE (WsGraph, ws_graph, WS, GRAPH, GtkWidget)

GtkWidget *ws_graph_new          (void);
void       ws_graph_clear        (WsGraph        *self);
void       ws_graph_add_sample   (WsGraph        *self,
                                  const WsSample *sample);
void       ws_graph_set_units    (WsGraph        *self,
                                  WsGraphUnits    units);
guint      ws_graph_get_n_points (WsGraph        *self);
void       ws_graph_get_ranges   (WsGraph        *self,
                                  gdouble        *max_s,
                                  gdouble        *max_bps,
                                  gdouble        *max_ms);

G_END_DECLS

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

typedef enum {
  WS_GRAPH_FORMAT_PNG,
  WS_GRAPH_FORMAT_SVG,
  WS_GRAPH_FORMAT_PDF,
} WsGraphFormat;

#define WS_TYPE_GRAPH (ws_graph_get_type ())
G_DECLARE_FINAL_TYPE (WsGraph, ws_graph, WS, GRAPH, GtkWidget)

GtkWidget *ws_graph_new          (void);
void       ws_graph_clear        (WsGraph        *self);
void       ws_graph_add_sample   (WsGraph        *self,
                                  const WsSample *sample);
void       ws_graph_set_result   (WsGraph        *self,
                                  const WsResult *result);
void       ws_graph_set_units    (WsGraph        *self,
                                  WsGraphUnits    units);
guint      ws_graph_get_n_points (WsGraph        *self);
void       ws_graph_get_ranges   (WsGraph        *self,
                                  gdouble        *max_s,
                                  gdouble        *max_bps,
                                  gdouble        *max_ms);

gboolean   ws_graph_export       (WsGraph        *self,
                                  GOutputStream  *out,
                                  WsGraphFormat   format,
                                  int             width,
                                  int             height,
                                  GError        **error);
gboolean   ws_graph_format_from_name (const char    *name,
                                      WsGraphFormat *format);

G_END_DECLS

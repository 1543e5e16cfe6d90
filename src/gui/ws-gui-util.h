/* ws-gui-util.h — small things the window and the history share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "ws-result.h"

G_BEGIN_DECLS

const char *ws_gui_mode_name   (WsTestMode       mode);
char       *ws_gui_format_rate (gdouble          bits_per_second,
                                gboolean         bytes);
char       *ws_gui_format_ms   (gdouble          ms);
char       *ws_gui_headline    (const WsResult  *result,
                                gboolean         bytes);
char       *ws_gui_summary     (WsResult        *result);

typedef void (*WsSaveCallback) (GFile    *file,
                                gpointer  owner);

void        ws_gui_save_dialog (GtkWindow       *parent,
                                const char      *title,
                                const char      *suggested_name,
                                const char     **patterns,
                                WsSaveCallback   callback,
                                gpointer         owner);

void        ws_gui_save_result_async  (WsResult            *result,
                                       GFile               *file,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
gboolean    ws_gui_save_result_finish (GAsyncResult        *result,
                                       GError             **error);

G_END_DECLS

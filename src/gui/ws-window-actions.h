/* ws-window-actions.h — what ws-window.c and ws-window-actions.c share
 *
 * The window's actions live in their own file; they need the window's
 * parts, and the window needs to install them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "ws-client.h"
#include "ws-figures.h"
#include "ws-history-view.h"
#include "ws-server-row.h"
#include "ws-test-form.h"
#include "ws-window.h"

G_BEGIN_DECLS

struct _WsWindow {
  AdwApplicationWindow parent_instance;

  /* Template children */
  AdwToastOverlay *toasts;
  AdwViewStack *pages;
  GtkButton *start_button;
  WsTestForm *form;
  WsServerRow *server_row;
  WsFigures *figures;
  WsHistoryView *history_view;

  GSettings *settings;
  WsClient *client;
  GCancellable *cancellable;  /* while a test runs */
  WsTestMode running_mode;
  char *running_target;       /* as typed, for what the test finds out */
  WsResult *result;           /* shown now: the last test's, or one from the history */
};

typedef struct _WsWindowJob WsWindowJob;

void         _ws_window_install_actions (GtkWidgetClass *widget_class);
void         _ws_window_toast           (WsWindow       *self,
                                         const char     *text);
void         _ws_window_set_running     (WsWindow       *self,
                                         gboolean        running);
void         _ws_window_set_result      (WsWindow       *self,
                                         WsResult       *result);
void         _ws_window_store_result    (WsWindow       *self,
                                         WsResult       *result);
/* Work on a worker for the window, holding the application meanwhile. */
WsWindowJob *_ws_window_job_new         (WsWindow       *self);
WsWindow    *_ws_window_job_end         (WsWindowJob    *job);

G_END_DECLS

/* ws-application.c — the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-application.h"
#include "ws-window.h"

struct _WsApplication {
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (WsApplication, ws_application, ADW_TYPE_APPLICATION)

static void
ws_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (ws_window_new (WS_APPLICATION (app)));
  gtk_window_present (window);
}

static void
ws_application_class_init (WsApplicationClass *klass)
{
  G_APPLICATION_CLASS (klass)->activate = ws_application_activate;
}

static void
ws_application_init (WsApplication *self)
{
}

WsApplication *
ws_application_new (void)
{
  return g_object_new (WS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

int
ws_application_run (int    argc,
                    char **argv)
{
  g_autoptr(WsApplication) app = ws_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}

/* ws-window.c — the main window
 *
 * A placeholder until the test window lands (issue 4): it says what the app
 * will be and how to use the command line today.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-window.h"

struct _WsWindow {
  AdwApplicationWindow parent_instance;
};

G_DEFINE_FINAL_TYPE (WsWindow, ws_window, ADW_TYPE_APPLICATION_WINDOW)

static void
ws_window_class_init (WsWindowClass *klass)
{
}

static void
ws_window_init (WsWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();

  gtk_window_set_title (GTK_WINDOW (self), _("Wirespeed"));
  gtk_window_set_default_size (GTK_WINDOW (self), 720, 520);

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "network-transmit-receive-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (status), _("Wirespeed"));
  adw_status_page_set_description (ADW_STATUS_PAGE (status),
    _("The desktop test window is on its way.\n"
      "Today, measure from a terminal:\n"
      "run “wirespeed --server” on one machine and\n"
      "“wirespeed --client --target HOST” on the other."));
  gtk_widget_set_vexpand (status, TRUE);

  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), status);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (self), box);
}

WsWindow *
ws_window_new (WsApplication *application)
{
  return g_object_new (WS_TYPE_WINDOW, "application", application, NULL);
}

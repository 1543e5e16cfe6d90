/* ws-preferences.c — the preferences window
 *
 * Every row is bound to its GSettings key, so a change applies at once (the
 * GNOME way: no Apply button) and every open window follows it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-preferences.h"

struct _WsPreferences {
  AdwPreferencesWindow parent_instance;

  GSettings *settings;
  AdwComboRow *units_row;
};

G_DEFINE_FINAL_TYPE (WsPreferences, ws_preferences, ADW_TYPE_PREFERENCES_WINDOW)

static GtkWidget *
spin_row (const char *title,
          const char *subtitle,
          gdouble     min,
          gdouble     max,
          GSettings  *settings,
          const char *key)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (min, max, 1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  g_settings_bind (settings, key, spin, "value", G_SETTINGS_BIND_DEFAULT);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  return row;
}

/* A file name, typed or pasted; checked when the server starts. */
static GtkWidget *
path_row (const char *title,
          GSettings  *settings,
          const char *key)
{
  GtkWidget *row = adw_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  g_settings_bind (settings, key, row, "text", G_SETTINGS_BIND_DEFAULT);
  return row;
}

/* The enum's nicks in the combo's order. */
static const char *const unit_nicks[] = { "bits", "bytes" };

static void
on_units_selected (WsPreferences *self)
{
  guint i = adw_combo_row_get_selected (self->units_row);

  if (i < G_N_ELEMENTS (unit_nicks))
    g_settings_set_string (self->settings, "units", unit_nicks[i]);
}

static GtkWidget *
units_row (WsPreferences *self)
{
  const char *names[] = { _("Bits per second (Mbit/s)"), _("Bytes per second (MB/s)"), NULL };
  g_autofree char *current = g_settings_get_string (self->settings, "units");

  self->units_row = ADW_COMBO_ROW (adw_combo_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->units_row), _("Rates"));
  adw_combo_row_set_model (self->units_row, G_LIST_MODEL (gtk_string_list_new (names)));
  adw_combo_row_set_selected (self->units_row, g_strcmp0 (current, "bytes") == 0);
  g_signal_connect_swapped (self->units_row, "notify::selected", G_CALLBACK (on_units_selected), self);
  return GTK_WIDGET (self->units_row);
}

static void
build (WsPreferences *self)
{
  AdwPreferencesPage *page = ADW_PREFERENCES_PAGE (adw_preferences_page_new ());
  AdwPreferencesGroup *display = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *tests = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  AdwPreferencesGroup *server = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());

  adw_preferences_group_set_title (display, _("Display"));
  adw_preferences_group_add (display, units_row (self));

  adw_preferences_group_set_title (tests, _("New Tests"));
  adw_preferences_group_add (tests, spin_row (_("Duration"), _("Seconds; each phase of a speed test lasts this long"),
                                              1, 3600, self->settings, "default-duration"));
  adw_preferences_group_add (tests, spin_row (_("Parallel streams"), _("Connections carrying data at once in each direction"),
                                              1, 128, self->settings, "default-streams"));

  adw_preferences_group_set_title (server, _("Server"));
  adw_preferences_group_add (server, spin_row (_("Port"), _("Used to reach servers given without a port, and by this computer’s server"),
                                               1, 65535, self->settings, "server-port"));
  adw_preferences_group_add (server, path_row (_("TLS certificate (PEM file; empty: no TLS)"),
                                               self->settings, "server-tls-certificate"));
  adw_preferences_group_add (server, path_row (_("TLS private key (PEM file)"),
                                               self->settings, "server-tls-key"));

  adw_preferences_page_add (page, display);
  adw_preferences_page_add (page, tests);
  adw_preferences_page_add (page, server);
  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (self), page);
}

static void
ws_preferences_finalize (GObject *object)
{
  WsPreferences *self = WS_PREFERENCES (object);

  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ws_preferences_parent_class)->finalize (object);
}

static void
ws_preferences_class_init (WsPreferencesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_preferences_finalize;
}

static void
ws_preferences_init (WsPreferences *self)
{
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  adw_preferences_window_set_search_enabled (ADW_PREFERENCES_WINDOW (self), FALSE);
}

WsPreferences *
ws_preferences_new (GSettings *settings)
{
  WsPreferences *self = g_object_new (WS_TYPE_PREFERENCES, NULL);

  self->settings = g_object_ref (settings);
  build (self);
  return self;
}

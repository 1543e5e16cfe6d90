/* ws-application.c — the desktop app
 *
 * One instance per session: a second launch presents the first window. The
 * application owns what outlives a window: the settings and the history
 * store. A history that cannot be opened (a damaged file, a full disk) costs
 * the history, not the app: windows ask for it and say why it is missing.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-application.h"
#include "ws-preferences.h"
#include "ws-window.h"

struct _WsApplication {
  AdwApplication parent_instance;

  GSettings *settings;
  WsHistory *history;
  char *history_error;
};

G_DEFINE_FINAL_TYPE (WsApplication, ws_application, ADW_TYPE_APPLICATION)

/* Installed, the schema is in the system's schema path; run from a build
 * tree (build-aux/run, the tests) it is in the build's data directory. */
static GSettings *
open_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;
  g_autoptr(GSettingsSchemaSource) build = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      build = g_settings_schema_source_new_from_directory (WS_BUILD_SCHEMA_DIR, source, FALSE, NULL);
      if (build != NULL)
        schema = g_settings_schema_source_lookup (build, APP_ID, TRUE);
    }
  if (schema == NULL)
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

static void
open_history (WsApplication *self)
{
  g_autofree char *path = ws_history_default_path ();
  g_autoptr(GError) error = NULL;

  self->history = ws_history_open (path, &error);
  if (self->history == NULL)
    {
      self->history_error = g_strdup (error->message);
      g_warning ("History unavailable: %s", error->message);
    }
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));

  /* Closing the windows lets each one stop its test and save its size. */
  while (windows != NULL)
    {
      GList *next = windows->next;
      gtk_window_close (windows->data);
      windows = next;
    }
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  WsApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  WsPreferences *prefs = ws_preferences_new (self->settings);

  gtk_window_set_transient_for (GTK_WINDOW (prefs), parent);
  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  const char *developers[] = { "The Wirespeed developers", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Wirespeed"),
                         "application-icon", APP_ID,
                         "developer-name", "The Wirespeed developers",
                         "version", PACKAGE_VERSION,
                         "comments", _("Measure throughput, latency and loss between two computers"),
                         "website", "https://github.com/wirespeed/wirespeed",
                         "issue-url", "https://github.com/wirespeed/wirespeed/issues",
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         /* Translators: your name(s), one per line */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action, NULL, NULL, NULL, { 0 } },
  { "preferences", preferences_action, NULL, NULL, NULL, { 0 } },
  { "about", about_action, NULL, NULL, NULL, { 0 } },
};

static void
set_accels (GtkApplication *app)
{
  static const struct { const char *action; const char *accels[3]; } accels[] = {
    { "app.quit", { "<Control>q", NULL } },
    { "app.preferences", { "<Control>comma", NULL } },
    { "win.start", { "<Control>Return", NULL } },
    { "win.stop", { "Escape", NULL } },
    { "win.show-help-overlay", { "<Control>question", NULL } },
    { "win.copy-summary", { "<Control><Shift>c", NULL } },
    { "win.save-graph", { "<Control>s", NULL } },
    { "win.show-history", { "<Control>h", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (app, accels[i].action, accels[i].accels);
}

/* Run from the build tree, the icon is not installed yet: take it from the
 * sources, so that the About window and the window list show it. */
static void
find_icon (void)
{
  GtkIconTheme *theme = gtk_icon_theme_get_for_display (gdk_display_get_default ());

  if (!gtk_icon_theme_has_icon (theme, APP_ID))
    gtk_icon_theme_add_search_path (theme, WS_SOURCE_ICON_DIR);
  gtk_window_set_default_icon_name (APP_ID);
}

static void
ws_application_startup (GApplication *app)
{
  WsApplication *self = WS_APPLICATION (app);

  G_APPLICATION_CLASS (ws_application_parent_class)->startup (app);
  find_icon ();
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  set_accels (GTK_APPLICATION (app));
  open_history (self);
}

static void
ws_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (ws_window_new (WS_APPLICATION (app)));
  gtk_window_present (window);
}

/* The windows hold the app while they store a result; whatever ends the
 * main loop all the same (g_application_quit(), the session ending) still
 * has what is being written written before the app exits. */
static void
ws_application_shutdown (GApplication *app)
{
  WsApplication *self = WS_APPLICATION (app);

  if (self->history != NULL)
    ws_history_flush (self->history);
  G_APPLICATION_CLASS (ws_application_parent_class)->shutdown (app);
}

static void
ws_application_finalize (GObject *object)
{
  WsApplication *self = WS_APPLICATION (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->history);
  g_free (self->history_error);
  G_OBJECT_CLASS (ws_application_parent_class)->finalize (object);
}

static void
ws_application_class_init (WsApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_application_finalize;
  G_APPLICATION_CLASS (klass)->startup = ws_application_startup;
  G_APPLICATION_CLASS (klass)->activate = ws_application_activate;
  G_APPLICATION_CLASS (klass)->shutdown = ws_application_shutdown;
}

static void
ws_application_init (WsApplication *self)
{
  self->settings = open_settings ();
}

WsApplication *
ws_application_new (GApplicationFlags flags)
{
  return g_object_new (WS_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "resource-base-path", "/io/github/wirespeed/Wirespeed",
                       "flags", flags,
                       NULL);
}

GSettings *
ws_application_get_settings (WsApplication *self)
{
  return self->settings;
}

/* NULL when there is no history this session; @why_not then says why. */
WsHistory *
ws_application_get_history (WsApplication  *self,
                            const char    **why_not)
{
  if (why_not != NULL)
    *why_not = self->history_error;
  return self->history;
}

int
ws_application_run (int    argc,
                    char **argv)
{
  g_autoptr(WsApplication) app = ws_application_new (G_APPLICATION_DEFAULT_FLAGS);

  if (app->settings == NULL)
    {
      g_printerr (_("wirespeed: the settings schema %s is not installed; "
                    "run the app with build-aux/run or install it\n"), APP_ID);
      return 1;
    }
  return g_application_run (G_APPLICATION (app), argc, argv);
}

/* ws-test-form.c — what to test, and against which server
 *
 * The form fills a WsTestConfig. What a person sets is a property ("target",
 * "mode", "duration", "iperf3", "tls", "fingerprint", "key"), bound to its
 * row both ways, so code and tests set the form as a person would. The
 * form remembers per server, in the settings, whether it took TLS (and
 * which pin) and whether it was an iperf3 server, and brings that back
 * when the server is chosen again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ws-auth.h"
#include "ws-channel.h"
#include "ws-protocol.h"
#include "ws-server.h"
#include "ws-test-form.h"
#include "ws-units.h"

#define MAX_RECENT_TARGETS 8

struct _WsTestForm {
  AdwPreferencesGroup parent_instance;

  AdwEntryRow *target_row;
  GMenu *recent_menu;
  AdwComboRow *mode_row;
  GtkSpinButton *duration_spin;
  GtkSpinButton *streams_spin;
  AdwComboRow *direction_row;
  AdwEntryRow *bitrate_row;
  AdwEntryRow *length_row;
  GtkSwitch *iperf3_switch;
  AdwActionRow *tls_row;
  GtkSwitch *tls_switch;
  AdwEntryRow *fingerprint_row;
  AdwPasswordEntryRow *key_row;

  GSettings *settings;
  char *target;
  WsTestMode mode;
  guint duration;
  gboolean iperf3;
  gboolean tls;
  char *fingerprint;
  char *key;
};

G_DEFINE_FINAL_TYPE (WsTestForm, ws_test_form, ADW_TYPE_PREFERENCES_GROUP)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_TARGET,
  PROP_MODE,
  PROP_DURATION,
  PROP_IPERF3,
  PROP_TLS,
  PROP_FINGERPRINT,
  PROP_KEY,
  PROP_TLS_SUBTITLE,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* The test types in the order the combo row shows them, and their names in
 * the settings. */
static const WsTestMode modes[] = {
  WS_TEST_SPEED, WS_TEST_TCP_STREAM, WS_TEST_TCP_RR, WS_TEST_UDP_STREAM, WS_TEST_UDP_RR,
  WS_TEST_HTTP,
};
static const char *const mode_keys[] = {
  "SPEED", "TCP_STREAM", "TCP_RR", "UDP_STREAM", "UDP_RR", "HTTP",
};

static gboolean
is_url (const char *target)
{
  return g_str_has_prefix (target, "http://") || g_str_has_prefix (target, "https://");
}

static guint
mode_index (WsTestMode mode)
{
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    if (modes[i] == mode)
      return i;
  return 0;
}

static WsTestMode
mode_from_key (const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (mode_keys); i++)
    if (g_strcmp0 (key, mode_keys[i]) == 0)
      return modes[i];
  return modes[0];
}

/* ---- Remembering servers ---- */

static void
remember_target (WsTestForm *self,
                 const char *target)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "recent-targets");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) recent = NULL;
  guint n = 1;

  g_strv_builder_add (builder, target);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT_TARGETS; i++)
    if (g_strcmp0 (old[i], target) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  recent = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "recent-targets", (const char *const *) recent);
}

static void
remember_tls (WsTestForm *self,
              const char *target,
              gboolean    tls,
              const char *fingerprint)
{
  g_autoptr(GVariant) old = g_settings_get_value (self->settings, "target-tls");
  g_autoptr(GVariantBuilder) builder = g_variant_builder_new (G_VARIANT_TYPE ("a{s(bs)}"));
  GVariantIter iter;
  const char *name, *pin;
  gboolean on;

  g_variant_iter_init (&iter, old);
  while (g_variant_iter_next (&iter, "{&s(b&s)}", &name, &on, &pin))
    if (g_strcmp0 (name, target) != 0)
      g_variant_builder_add (builder, "{s(bs)}", name, on, pin);
  g_variant_builder_add (builder, "{s(bs)}", target, tls, fingerprint ? fingerprint : "");
  g_settings_set_value (self->settings, "target-tls", g_variant_builder_end (builder));
}

static void
remember_iperf3 (WsTestForm *self,
                 const char *target,
                 gboolean    iperf3)
{
  g_auto(GStrv) old = g_settings_get_strv (self->settings, "iperf3-targets");
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) now = NULL;

  if (g_strv_contains ((const char *const *) old, target) == iperf3)
    return;
  for (guint i = 0; old[i] != NULL; i++)
    if (g_strcmp0 (old[i], target) != 0)
      g_strv_builder_add (builder, old[i]);
  if (iperf3)
    g_strv_builder_add (builder, target);
  now = g_strv_builder_end (builder);
  g_settings_set_strv (self->settings, "iperf3-targets", (const char *const *) now);
}

/* The test is starting: its server goes first in the recent list, with
 * how it was reached, and its type is the next test's. */
void
ws_test_form_remember (WsTestForm         *self,
                       const WsTestConfig *config)
{
  g_autofree char *target = ws_test_form_dup_target (self);

  g_return_if_fail (WS_IS_TEST_FORM (self));
  if (*target)
    {
      remember_target (self, target);
      remember_tls (self, target, config->tls, config->tls_fingerprint);
      remember_iperf3 (self, target, config->iperf3);
    }
  g_settings_set_string (self->settings, "last-test-type", mode_keys[mode_index (self->mode)]);
}

/* A server found to be iperf3 is marked so, and next time is asked
 * nothing before its test. */
void
ws_test_form_mark_iperf3 (WsTestForm *self,
                          const char *target)
{
  g_return_if_fail (WS_IS_TEST_FORM (self));
  remember_iperf3 (self, target, TRUE);
  g_object_set (self, "iperf3", TRUE, NULL);
}

/* Typing or choosing a server brings back how it was reached last time. */
static void
on_target_changed (WsTestForm *self)
{
  g_autofree char *target = ws_test_form_dup_target (self);
  g_autoptr(GVariant) all = NULL;
  g_auto(GStrv) iperf3 = NULL;
  gboolean tls;
  const char *fingerprint;

  /* A URL is a web server's: test it in HTTP, as the command line does. */
  if (is_url (target))
    g_object_set (self, "mode", WS_TEST_HTTP, NULL);
  if (self->settings == NULL)
    return;
  all = g_settings_get_value (self->settings, "target-tls");
  iperf3 = g_settings_get_strv (self->settings, "iperf3-targets");
  g_object_set (self, "iperf3", g_strv_contains ((const char *const *) iperf3, target), NULL);
  if (g_variant_lookup (all, target, "(b&s)", &tls, &fingerprint))
    g_object_set (self, "tls", tls, "fingerprint", fingerprint, NULL);
}

static void
update_recent_menu (WsTestForm *self)
{
  g_auto(GStrv) recent = g_settings_get_strv (self->settings, "recent-targets");

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; recent[i] != NULL; i++)
    {
      /* Menus read "_" as a mnemonic; host names may contain one. */
      g_autoptr(GString) label = g_string_new (recent[i]);
      g_autoptr(GMenuItem) item = NULL;

      g_string_replace (label, "_", "__", 0);
      item = g_menu_item_new (label->str, NULL);

      g_menu_item_set_action_and_target (item, "win.use-target", "s", recent[i]);
      g_menu_append_item (self->recent_menu, item);
    }
}

static void
on_defaults_changed (WsTestForm *self)
{
  g_object_set (self, "duration", g_settings_get_uint (self->settings, "default-duration"), NULL);
  gtk_spin_button_set_value (self->streams_spin, g_settings_get_uint (self->settings, "default-streams"));
}

/* The form starts from the settings: the last server and test type, the
 * default duration and streams, and follows changes to the defaults. */
void
ws_test_form_set_settings (WsTestForm *self,
                           GSettings  *settings)
{
  g_auto(GStrv) targets = NULL;
  g_autofree char *last_mode = NULL;

  g_return_if_fail (WS_IS_TEST_FORM (self));
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  if (!g_set_object (&self->settings, settings) || settings == NULL)
    return;
  targets = g_settings_get_strv (settings, "recent-targets");
  last_mode = g_settings_get_string (settings, "last-test-type");
  g_object_set (self, "target", targets[0] ? targets[0] : "localhost", "mode", mode_from_key (last_mode), NULL);
  on_defaults_changed (self);
  update_recent_menu (self);
  g_signal_connect_swapped (settings, "changed::recent-targets", G_CALLBACK (update_recent_menu), self);
  g_signal_connect_swapped (settings, "changed::default-duration", G_CALLBACK (on_defaults_changed), self);
  g_signal_connect_swapped (settings, "changed::default-streams", G_CALLBACK (on_defaults_changed), self);
  on_target_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTINGS]);
}

/* ---- Reading the form ---- */

WsTestMode
ws_test_form_get_mode (WsTestForm *self)
{
  g_return_val_if_fail (WS_IS_TEST_FORM (self), WS_TEST_SPEED);
  return self->mode;
}

/* Returns: (transfer full): the server as typed, without surrounding spaces */
char *
ws_test_form_dup_target (WsTestForm *self)
{
  g_return_val_if_fail (WS_IS_TEST_FORM (self), NULL);
  return g_strstrip (g_strdup (self->target));
}

/* "host", "host:port" or "[v6]:port" → target and port. */
static void
parse_target (const char   *text,
              guint16       default_port,
              WsTestConfig *config)
{
  g_autoptr(GNetworkAddress) address = NULL;

  address = G_NETWORK_ADDRESS (g_network_address_parse (text, default_port, NULL));
  g_free (config->target);
  config->port = default_port;
  if (address == NULL)
    {
      config->target = g_strdup (text);
      return;
    }
  config->target = g_strdup (g_network_address_get_hostname (address));
  config->port = g_network_address_get_port (address);
}

static gboolean
read_sizes (WsTestForm    *self,
            WsTestConfig  *config,
            GError       **error)
{
  const char *bitrate = gtk_editable_get_text (GTK_EDITABLE (self->bitrate_row));
  const char *length = gtk_editable_get_text (GTK_EDITABLE (self->length_row));
  guint64 size;

  if (*length)
    {
      if (!ws_parse_size (length, &size) || size > WS_MAX_LENGTH)
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("Message size must be a size such as 1448 or 128K"));
          return FALSE;
        }
      config->length = size;
    }
  if (*bitrate && !ws_parse_rate (bitrate, &config->bitrate))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("UDP bitrate must be a rate such as 500K, 100M or 1G"));
      return FALSE;
    }
  return TRUE;
}

/* TLS with the system's CAs or a pinned fingerprint; a key if one is given. */
static gboolean
read_security (WsTestForm    *self,
               WsTestConfig  *config,
               GError       **error)
{
  g_autofree char *fingerprint = g_strstrip (g_strdup (self->fingerprint));
  guint8 digest[32];

  if (*fingerprint && !ws_tls_fingerprint_parse (fingerprint, digest))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The fingerprint must be the 64 hex digits the server prints (colons optional)"));
      return FALSE;
    }
  config->tls = self->tls || *fingerprint;
  config->tls_fingerprint = *fingerprint ? g_strdup (fingerprint) : NULL;
  if (*self->key && !ws_auth_parse_key (self->key, &config->auth_name, &config->auth_secret, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The key must be NAME:SECRET, as in the server’s key file"));
      return FALSE;
    }
  return TRUE;
}

/* A web server's test: the URL as typed, TLS if it says https. */
static gboolean
read_http (WsTestForm    *self,
           const char    *target,
           WsTestConfig  *config,
           GError       **error)
{
  if (!is_url (target))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("An HTTP test needs a URL in the server field, such as "
                             "https://example.org/file"));
      return FALSE;
    }
  g_free (config->target);
  config->target = g_strdup (target);
  config->duration_s = self->duration;
  config->streams = gtk_spin_button_get_value_as_int (self->streams_spin);
  config->direction = adw_combo_row_get_selected (self->direction_row);
  config->interval_ms = 100;
  if (!read_security (self, config, error))
    return FALSE;
  /* The URL says whether it is TLS; a pin applies to https only. */
  config->tls = g_str_has_prefix (target, "https://");
  g_clear_pointer (&config->auth_name, g_free);
  g_clear_pointer (&config->auth_secret, g_free);
  if (!config->tls)
    g_clear_pointer (&config->tls_fingerprint, g_free);
  return TRUE;
}

/* Fills @config (to be cleared by the caller either way); @error says
 * which field is wrong, in words for a person. */
gboolean
ws_test_form_read (WsTestForm    *self,
                   WsTestConfig  *config,
                   GError       **error)
{
  g_autofree char *target = ws_test_form_dup_target (self);
  guint port = self->settings ? g_settings_get_uint (self->settings, "server-port") : 0;

  g_return_val_if_fail (WS_IS_TEST_FORM (self), FALSE);
  ws_test_config_init (config);
  config->mode = self->mode;
  if (config->mode == WS_TEST_HTTP)
    return read_http (self, target, config, error);
  parse_target (*target ? target : "localhost", port ? port : WS_DEFAULT_PORT, config);
  config->duration_s = self->duration;
  config->streams = gtk_spin_button_get_value_as_int (self->streams_spin);
  config->direction = adw_combo_row_get_selected (self->direction_row);
  /* Ten samples a second: a smooth graph, and cheap for the engine. */
  config->interval_ms = 100;
  config->iperf3 = self->iperf3;
  return read_sizes (self, config, error) && read_security (self, config, error);
}

/* ---- GObject ---- */

static void
set_string (WsTestForm  *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (value == NULL)
    value = "";
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  if (prop_id == PROP_TARGET)
    on_target_changed (self);
}

static void
set_boolean (WsTestForm *self,
             gboolean   *field,
             gboolean    value,
             guint       prop_id)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_uint (WsTestForm *self,
          guint      *field,
          guint       value,
          guint       prop_id)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
ws_test_form_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  WsTestForm *self = WS_TEST_FORM (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_TARGET:
      g_value_set_string (value, self->target);
      break;
    case PROP_MODE:
      g_value_set_uint (value, self->mode);
      break;
    case PROP_DURATION:
      g_value_set_uint (value, self->duration);
      break;
    case PROP_IPERF3:
      g_value_set_boolean (value, self->iperf3);
      break;
    case PROP_TLS:
      g_value_set_boolean (value, self->tls);
      break;
    case PROP_FINGERPRINT:
      g_value_set_string (value, self->fingerprint);
      break;
    case PROP_KEY:
      g_value_set_string (value, self->key);
      break;
    case PROP_TLS_SUBTITLE:
      g_value_set_string (value, adw_action_row_get_subtitle (self->tls_row));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_test_form_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  WsTestForm *self = WS_TEST_FORM (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      ws_test_form_set_settings (self, g_value_get_object (value));
      break;
    case PROP_TARGET:
      set_string (self, &self->target, g_value_get_string (value), prop_id);
      break;
    case PROP_MODE:
      /* A web server is downloaded from, unless asked otherwise after. */
      if (self->mode != WS_TEST_HTTP && g_value_get_uint (value) == WS_TEST_HTTP)
        adw_combo_row_set_selected (self->direction_row, WS_DIRECTION_DOWNLOAD);
      set_uint (self, &self->mode, g_value_get_uint (value), prop_id);
      break;
    case PROP_DURATION:
      set_uint (self, &self->duration, g_value_get_uint (value), prop_id);
      break;
    case PROP_IPERF3:
      set_boolean (self, &self->iperf3, g_value_get_boolean (value), prop_id);
      break;
    case PROP_TLS:
      set_boolean (self, &self->tls, g_value_get_boolean (value), prop_id);
      break;
    case PROP_FINGERPRINT:
      set_string (self, &self->fingerprint, g_value_get_string (value), prop_id);
      break;
    case PROP_KEY:
      set_string (self, &self->key, g_value_get_string (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_test_form_dispose (GObject *object)
{
  WsTestForm *self = WS_TEST_FORM (object);

  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ws_test_form_parent_class)->dispose (object);
}

static void
ws_test_form_finalize (GObject *object)
{
  WsTestForm *self = WS_TEST_FORM (object);

  g_free (self->target);
  g_free (self->fingerprint);
  g_free (self->key);
  G_OBJECT_CLASS (ws_test_form_parent_class)->finalize (object);
}

static void
install_properties (GObjectClass *object_class)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  /* Where the form remembers servers; set by the window, which has them. */
  properties[PROP_SETTINGS] = g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS, rw);
  /* The server as typed: "host", "host:port" or "[v6]:port". */
  properties[PROP_TARGET] = g_param_spec_string ("target", NULL, NULL, "", rw);
  /* A WsTestMode */
  properties[PROP_MODE] = g_param_spec_uint ("mode", NULL, NULL, 0, G_MAXUINT, WS_TEST_SPEED, rw);
  properties[PROP_DURATION] = g_param_spec_uint ("duration", NULL, NULL, 1, 3600, 10, rw);
  properties[PROP_IPERF3] = g_param_spec_boolean ("iperf3", NULL, NULL, FALSE, rw);
  properties[PROP_TLS] = g_param_spec_boolean ("tls", NULL, NULL, FALSE, rw);
  properties[PROP_FINGERPRINT] = g_param_spec_string ("fingerprint", NULL, NULL, "", rw);
  properties[PROP_KEY] = g_param_spec_string ("key", NULL, NULL, "", rw);
  /* What the TLS row says under its title: why not, on a machine without
   * TLS support. */
  properties[PROP_TLS_SUBTITLE] = g_param_spec_string ("tls-subtitle", NULL, NULL, NULL,
                                                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ws_test_form_class_init (WsTestFormClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ws_test_form_dispose;
  object_class->finalize = ws_test_form_finalize;
  object_class->get_property = ws_test_form_get_property;
  object_class->set_property = ws_test_form_set_property;
  install_properties (object_class);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/wirespeed/Wirespeed/ws-test-form.ui");
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, target_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, mode_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, duration_spin);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, streams_spin);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, direction_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, bitrate_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, length_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, iperf3_switch);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, tls_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, tls_switch);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, fingerprint_row);
  gtk_widget_class_bind_template_child (widget_class, WsTestForm, key_row);
}

static gboolean
mode_to_index (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      data)
{
  g_value_set_uint (to, mode_index (g_value_get_uint (from)));
  return TRUE;
}

static gboolean
index_to_mode (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      data)
{
  guint i = g_value_get_uint (from);

  if (i >= G_N_ELEMENTS (modes))
    return FALSE;
  g_value_set_uint (to, modes[i]);
  return TRUE;
}

/* Each property and its row hold the same value, whichever changed. */
static void
bind_rows (WsTestForm *self)
{
  const GBindingFlags both = G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE;

  g_object_bind_property (self, "target", self->target_row, "text", both);
  g_object_bind_property_full (self, "mode", self->mode_row, "selected", both,
                               mode_to_index, index_to_mode, NULL, NULL);
  g_object_bind_property (self, "duration", self->duration_spin, "value", both);
  g_object_bind_property (self, "iperf3", self->iperf3_switch, "active", both);
  g_object_bind_property (self, "tls", self->tls_switch, "active", both);
  g_object_bind_property (self, "fingerprint", self->fingerprint_row, "text", both);
  g_object_bind_property (self, "key", self->key_row, "text", both);
}

static void
ws_test_form_init (WsTestForm *self)
{
  g_autoptr(GError) no_tls = NULL;

  self->target = g_strdup ("");
  self->mode = WS_TEST_SPEED;
  self->duration = 10;
  self->fingerprint = g_strdup ("");
  self->key = g_strdup ("");
  gtk_widget_init_template (GTK_WIDGET (self));
  bind_rows (self);
  /* Said where the user would reach for TLS, before a test fails on it. */
  if (!ws_tls_check_available (&no_tls))
    {
      adw_action_row_set_subtitle (self->tls_row, no_tls->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->tls_switch), FALSE);
    }
}

/* ws-server-row.c — the switch that runs a server inside the app
 *
 * Turned on, it starts the engine's WsServer on the configured port and
 * says what the other side needs: this machine's addresses, the port, and
 * how many clients are testing now (WsServer:n-sessions, notified on this
 * main context, so nothing polls). A port that is
 * taken turns the switch back off, with the reason under it and as "toast".
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "ws-channel.h"
#include "ws-server.h"
#include "ws-server-row.h"

struct _WsServerRow {
  AdwActionRow parent_instance;

  GSettings *settings;
  GtkSwitch *toggle;
  GtkWidget *copy_button;   /* copies the fingerprint, when TLS is on */
  char *fingerprint;
  WsServer *server;
};

G_DEFINE_FINAL_TYPE (WsServerRow, ws_server_row, ADW_TYPE_ACTION_ROW)

enum { TOAST, N_SIGNALS };
static guint signals[N_SIGNALS];

enum { PROP_0, PROP_SETTINGS, PROP_ACTIVE, PROP_PORT, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* The addresses of the interfaces that are up, without a name lookup (which
 * could block the window for seconds): global and private IPv4 and IPv6,
 * not loopback or link-local, which the other machine could not use. */
static char *
local_addresses (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  struct ifaddrs *list = NULL;

  if (getifaddrs (&list) == 0)
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
      {
        g_autoptr(GSocketAddress) address = NULL;
        GInetAddress *ip;
        g_autofree char *ip_text = NULL;

        if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP)
            || (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
          continue;
        address = g_socket_address_new_from_native (i->ifa_addr, i->ifa_addr->sa_family == AF_INET
                                                    ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6));
        ip = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
        if (g_inet_address_get_is_loopback (ip) || g_inet_address_get_is_link_local (ip))
          continue;
        ip_text = g_inet_address_to_string (ip);
        g_string_append_printf (text, "%s%s", text->len ? ", " : "", ip_text);
      }
  if (list != NULL)
    freeifaddrs (list);
  if (text->len == 0)
    g_string_append (text, g_get_host_name ());
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
show_server (WsServerRow *self)
{
  g_autofree char *addresses = local_addresses ();
  guint n = ws_server_get_n_sessions (self->server);
  g_autofree char *text = g_strdup_printf (ngettext ("%s, port %u · %u client connected",
                                                     "%s, port %u · %u clients connected", n),
                                           addresses, ws_server_get_port (self->server), n);
  g_autofree char *with_tls = self->fingerprint
                              ? g_strdup_printf (_("%s\nTLS, certificate SHA-256 %s"), text, self->fingerprint)
                              : NULL;

  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), with_tls ? with_tls : text);
}

void
ws_server_row_stop (WsServerRow *self)
{
  if (self->server != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      ws_server_stop (self->server);
    }
  if (self->server != NULL)
    {
      g_clear_object (&self->server);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
    }
  g_clear_pointer (&self->fingerprint, g_free);
  if (self->copy_button != NULL)
    gtk_widget_set_visible (self->copy_button, FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), _("Lets another computer test against this one"));
}

/* The certificate from the preferences, if one is set: then clients must
 * use TLS, and the row shows the fingerprint for them to pin. */
static gboolean
setup_tls (WsServerRow  *self,
           GError      **error)
{
  g_autofree char *cert = g_settings_get_string (self->settings, "server-tls-certificate");
  g_autofree char *key = g_settings_get_string (self->settings, "server-tls-key");
  g_autoptr(GTlsCertificate) certificate = NULL;

  if (*cert == '\0')
    return TRUE;
  if (!ws_tls_check_available (error))
    return FALSE;
  certificate = g_tls_certificate_new_from_files (cert, *key ? key : cert, error);
  if (certificate == NULL)
    return FALSE;
  ws_server_set_tls (self->server, certificate, FALSE);
  self->fingerprint = ws_tls_certificate_fingerprint (certificate);
  gtk_widget_set_visible (self->copy_button, TRUE);
  return TRUE;
}

static void
on_copy_fingerprint (WsServerRow *self)
{
  if (self->fingerprint != NULL)
    gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->fingerprint);
  g_signal_emit (self, signals[TOAST], 0, _("Fingerprint copied"));
}

static gboolean
on_state_set (GtkSwitch   *toggle,
              gboolean     active,
              WsServerRow *self)
{
  g_autoptr(GError) error = NULL;
  guint port = g_settings_get_uint (self->settings, "server-port");
  g_autofree char *text = NULL;

  if (!active)
    {
      ws_server_row_stop (self);
      return FALSE;
    }
  self->server = ws_server_new ();
  ws_server_set_port (self->server, port);
  if (setup_tls (self, &error) && ws_server_start (self->server, &error))
    {
      g_signal_connect_swapped (self->server, "notify::n-sessions", G_CALLBACK (show_server), self);
      show_server (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
      return FALSE;
    }
  g_clear_object (&self->server);
  g_clear_pointer (&self->fingerprint, g_free);
  text = g_strdup_printf (_("Cannot start the server on port %u: %s"), port, error->message);
  g_signal_emit (self, signals[TOAST], 0, text);
  /* Turns the switch back off, through this handler again; the reason
   * stays under the switch until the next try. */
  gtk_switch_set_active (toggle, FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), text);
  return TRUE;
}

static void
ws_server_row_dispose (GObject *object)
{
  WsServerRow *self = WS_SERVER_ROW (object);

  ws_server_row_stop (self);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ws_server_row_parent_class)->dispose (object);
}

static void
ws_server_row_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  WsServerRow *self = WS_SERVER_ROW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    case PROP_ACTIVE:
      g_value_set_boolean (value, gtk_switch_get_active (self->toggle));
      break;
    case PROP_PORT:
      g_value_set_uint (value, ws_server_row_get_port (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_server_row_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  WsServerRow *self = WS_SERVER_ROW (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_set_object (&self->settings, g_value_get_object (value));
      break;
    case PROP_ACTIVE:
      ws_server_row_set_active (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ws_server_row_class_init (WsServerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ws_server_row_dispose;
  object_class->get_property = ws_server_row_get_property;
  object_class->set_property = ws_server_row_set_property;
  signals[TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /* Where the port and the certificate come from; a template cannot pass
   * it to a constructor, so the window sets it. */
  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /* The switch: on runs a server, and may turn itself back off. */
  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The port the server listens on; 0 while none runs. */
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
on_active_changed (WsServerRow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

static void
ws_server_row_init (WsServerRow *self)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), _("Run a server on this computer"));
  /* A suffix, not a prefix: an empty prefix box would still indent the title. */
  self->copy_button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (self->copy_button, _("Copy the certificate fingerprint"));
  gtk_widget_set_valign (self->copy_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->copy_button, "flat");
  g_signal_connect_swapped (self->copy_button, "clicked", G_CALLBACK (on_copy_fingerprint), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), self->copy_button);
  self->toggle = GTK_SWITCH (gtk_switch_new ());
  gtk_widget_set_valign (GTK_WIDGET (self->toggle), GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), GTK_WIDGET (self->toggle));
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (self), GTK_WIDGET (self->toggle));
  g_signal_connect (self->toggle, "state-set", G_CALLBACK (on_state_set), self);
  g_signal_connect_swapped (self->toggle, "notify::active", G_CALLBACK (on_active_changed), self);
  ws_server_row_stop (self);
}

GtkWidget *
ws_server_row_new (GSettings *settings)
{
  return g_object_new (WS_TYPE_SERVER_ROW, "settings", settings, NULL);
}

void
ws_server_row_set_active (WsServerRow *self,
                          gboolean     active)
{
  gtk_switch_set_active (self->toggle, active);
}

/* 0 while no server runs */
guint16
ws_server_row_get_port (WsServerRow *self)
{
  return self->server ? ws_server_get_port (self->server) : 0;
}

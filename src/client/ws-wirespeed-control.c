/* ws-wirespeed-control.c — the control connection to a Wirespeed server
 *
 * Connecting (and TLS), whole messages with the handshake's deadline, and
 * what went wrong said as a person running a test would want to read it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "ws-error.h"
#include "ws-wirespeed-control.h"

#define CONNECT_TIMEOUT_S 10

static void
explain_connect_error (const WsTestConfig  *config,
                       GError             **error)
{
  GError *e = *error;
  const char *host = config->target;
  guint port = config->port;
  char *text = NULL;

  if (e->domain == G_RESOLVER_ERROR)
    text = g_strdup_printf (_("Host not found: %s"), host);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    /* Translators: a host name or address, then a port number. */
    text = g_strdup_printf (_("Connection refused by %s port %u: is a Wirespeed server running there?"),
                            host, port);
  else if (g_error_matches (e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    text = g_strdup_printf (_("Timed out connecting to %s port %u"), host, port);
  else if (!g_error_matches (e, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Translators: a host, a port, then the system's reason. */
    text = g_strdup_printf (_("Cannot connect to %s port %u: %s"), host, port, e->message);

  if (text != NULL)
    {
      g_free (e->message);
      e->message = text;
    }
}

/* The server's ERROR message, said as a client would want to read it. */
void
ws_control_set_server_error (GError          **error,
                             const WsMessage  *msg)
{
  const WsErrorMessage *e = &msg->u.error;

  switch (e->code)
    {
    case WS_PROTOCOL_ERROR_UNSUPPORTED_VERSION:
      if (e->value < WS_PROTOCOL_V2)
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     _("The server is too old: it speaks protocol version %u, this client needs %u"),
                     e->value, WS_PROTOCOL_V2);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     /* Translators: two version numbers, then the server's reason, in English. */
                     _("The server refused protocol version %u (it speaks up to %u): %s"),
                     WS_PROTOCOL_V2, e->value, e->text);
      return;
    case WS_PROTOCOL_ERROR_BUSY:
      /* Busy for everybody or for our address: the text says which, in
       * the server's words (English: the server cannot know our language). */
      if (e->text[0] != '\0')
        /* Translators: %s is the server's reason, in English, e.g. “The server is busy: it already runs 4 tests”. */
        g_set_error (error, WS_PROTOCOL_ERROR, e->code, _("%s; try again later"), e->text);
      else
        g_set_error (error, WS_PROTOCOL_ERROR, e->code,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "The server is busy (its %u test slot is in use): try again later",
                                  "The server is busy (all %u test slots in use): try again later",
                                  e->value),
                     e->value);
      return;
    case WS_PROTOCOL_ERROR_ACCESS_DENIED:
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code, _("Access denied by the server"));
      return;
    case WS_PROTOCOL_ERROR_AUTH_FAILED:
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code,
                           _("Authentication failed: the server did not accept this key"));
      return;
    case WS_PROTOCOL_ERROR_TLS_REQUIRED:
      /* The remedy is the face's: ws-cli.c and ws-window.c add it. */
      g_set_error_literal (error, WS_PROTOCOL_ERROR, e->code, _("The server requires TLS"));
      return;
    default:
      /* Translators: %s is the server's reason, in English. */
      g_set_error (error, WS_PROTOCOL_ERROR, e->code, _("The server refused the test: %s"),
                   e->text[0] ? e->text : _("no reason given"));
      return;
    }
}

void
ws_control_set_no_answer_error (GError **error)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               _("Timed out: the server did not answer within %d s"),
               (int) (WS_CONTROL_TIMEOUT_NS / WS_NSEC_PER_SEC));
}

/* Reads the message the handshake expects, or explains what came instead. */
gboolean
ws_control_expect (WsControl  *control,
                   guint8      type,
                   WsMessage  *msg,
                   GError    **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!ws_channel_read_message (control->channel, msg, ws_now_ns () + WS_CONTROL_TIMEOUT_NS,
                                control->stop, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                     _("The server closed the connection during the handshake: "
                       "is it a Wirespeed server (0.1 or later)?"));
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        ws_control_set_no_answer_error (error);
      else if (local_error->domain == WS_PROTOCOL_ERROR)
        g_set_error (error, WS_PROTOCOL_ERROR, local_error->code,
                     /* Translators: %s is a protocol diagnostic, in English. */
                     _("The server does not speak the Wirespeed protocol: %s"),
                     local_error->message);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (msg->version == WS_PROTOCOL_V2 && msg->type == WS_MSG_ERROR)
    {
      ws_control_set_server_error (error, msg);
      return FALSE;
    }
  if (msg->version != WS_PROTOCOL_V2 || msg->type != type)
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                   /* Translators: two protocol message names, such as HELLO_REPLY. */
                   _("The server sent %s where %s was expected"),
                   ws_message_type_to_string (msg->version, msg->type),
                   ws_message_type_to_string (WS_PROTOCOL_V2, type));
      return FALSE;
    }
  return TRUE;
}

gboolean
ws_control_send (WsControl        *control,
                 const WsMessage  *msg,
                 GError          **error)
{
  return ws_channel_send_message (control->channel, msg, ws_now_ns () + WS_CONTROL_TIMEOUT_NS,
                                  NULL, error);
}

gboolean
ws_control_send_hello (WsControl  *control,
                       GError    **error)
{
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  msg.u.hello.capabilities = WS_CAP_TEST_GRANT | WS_CAP_TEST_BYTES | WS_CAP_CLIENT_ADDRESS
                             | WS_CAP_SERVER_TESTS;
  return ws_control_send (control, &msg, error);
}

/* The server's name is checked against its certificate, as typed. An
 * address is passed as an address: as a host name it would go out as SNI,
 * which servers must refuse for IP literals (RFC 6066). */
static gboolean
start_tls (WsControl          *control,
           const WsTestConfig *config,
           GError            **error)
{
  const char *target = config->target;
  g_autoptr(GSocketConnectable) identity =
    g_hostname_is_ip_address (target)
    ? G_SOCKET_CONNECTABLE (g_inet_socket_address_new_from_string (target, config->port))
    : g_network_address_new (target, config->port);
  WsTlsClientOptions options = { config->tls_ca_file, config->tls_fingerprint };

  return ws_channel_connect_tls (control->channel, identity, &options,
                                 ws_now_ns () + WS_CONTROL_TIMEOUT_NS, control->stop, error);
}

static gboolean
connect_socket (WsControl          *control,
                const WsTestConfig *config,
                GError            **error)
{
  g_autoptr(GSocketClient) sc = g_socket_client_new ();
  gint64 t0 = ws_now_ns ();

  g_socket_client_set_timeout (sc, CONNECT_TIMEOUT_S);
  control->connection = g_socket_client_connect_to_host (sc, config->target, config->port,
                                                         control->stop, error);
  control->connect_ns = ws_now_ns () - t0;
  if (control->connection == NULL)
    {
      explain_connect_error (config, error);
      return FALSE;
    }
  control->socket = g_socket_connection_get_socket (control->connection);
  g_socket_set_blocking (control->socket, FALSE);
  g_socket_set_option (control->socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  /* Data connections go to the very address the control connection
   * reached, not to whatever the name resolves to next. */
  control->remote = g_socket_get_remote_address (control->socket, error);
  if (control->remote == NULL)
    return FALSE;
  control->channel = ws_channel_new (control->socket);
  return TRUE;
}

WsControl *
ws_control_connect (const WsTestConfig  *config,
                    GCancellable        *stop,
                    GError             **error)
{
  g_autoptr(WsControl) control = NULL;

  if (config->tls && !ws_tls_check_available (error))
    return NULL;
  control = g_new0 (WsControl, 1);
  control->stop = g_object_ref (stop);
  if (!connect_socket (control, config, error)
      || (config->tls && !start_tls (control, config, error)))
    return NULL;
  return g_steal_pointer (&control);
}

void
ws_control_free (WsControl *control)
{
  g_clear_object (&control->remote);
  g_clear_object (&control->channel);
  if (control->connection)
    g_io_stream_close (G_IO_STREAM (control->connection), NULL, NULL);
  g_clear_object (&control->connection);
  g_clear_object (&control->stop);
  g_free (control);
}

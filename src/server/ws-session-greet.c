/* ws-session-greet.c — a version 2 session's first messages: HELLO_REPLY,
 * the key, and what the client wants
 *
 * With keys, the server greets before it gives out a slot, so that a
 * client without a key cannot keep the server busy for those who have
 * one; and it reads what the client wants before it gives one too, since
 * a report connection (COLLECT, docs/PROTOCOL.md section 10) takes none.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/random.h>

#include "ws-client-address.h"
#include "ws-io.h"
#include "ws-session.h"
#include "ws-session-private.h"
#include "ws-time.h"

/* Sends ERROR @code with @value and @text, closes, and returns FALSE with
 * the same error: for the server, which answers COLLECT itself. */
gboolean
ws_session_decline (WsSession        *self,
                    WsProtocolError   code,
                    guint16           value,
                    const char       *text,
                    GError          **error)
{
  ws_channel_send_error (self->control, code, value, text);
  ws_io_linger_close (ws_channel_get_socket (self->control), 250 * WS_NSEC_PER_MSEC);
  g_set_error_literal (error, WS_PROTOCOL_ERROR, code, text);
  return FALSE;
}

/* A server that collects announces REPORTS to a client that asks. */
void
ws_session_set_collecting (WsSession *self,
                           gboolean   collecting)
{
  self->collecting = collecting;
}

/* The name of the key the client authenticated with; NULL before (or
 * without) AUTH. */
const char *
ws_session_get_key_name (WsSession *self)
{
  return self->key_name;
}

void
ws_session_set_auth (WsSession *self,
                     WsAuth    *auth)
{
  g_clear_pointer (&self->auth, ws_auth_unref);
  if (auth != NULL)
    self->auth = ws_auth_ref (auth);
}

/* The answer to the nonce must come before the request. Whatever is wrong
 * (name, secret, message), the client hears the same words. */
static gboolean
check_auth (WsSession     *self,
            const guint8  *nonce,
            GError       **error)
{
  WsMessage msg;

  if (!_ws_session_read (self, &msg, error))
    return FALSE;
  if (msg.version == WS_PROTOCOL_V2 && msg.type == WS_MSG_AUTH
      && ws_auth_verify (self->auth, msg.u.auth.name, nonce, msg.u.auth.mac))
    {
      g_info ("%s: authenticated as %s", self->peer, msg.u.auth.name);
      g_free (self->key_name);
      self->key_name = g_strdup (msg.u.auth.name);
      return TRUE;
    }
  g_info ("%s: authentication failed%s%s", self->peer,
          msg.type == WS_MSG_AUTH ? " for " : "", msg.type == WS_MSG_AUTH ? msg.u.auth.name : "");
  return _ws_session_refuse (self, WS_PROTOCOL_ERROR_AUTH_FAILED, "Authentication failed", error);
}

/* The client learns the address it came from, e.g. to detect NAT. A peer
 * that is not IP (never, on a TCP listener) gets no message, which the
 * client cannot tell from an older server: harmless. */
static gboolean
send_client_address (WsSession  *self,
                     GError    **error)
{
  GSocket *socket = ws_channel_get_socket (self->control);
  g_autoptr(GSocketAddress) peer = g_socket_get_remote_address (socket, NULL);
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_CLIENT_ADDRESS);
  if (!ws_client_address_from_socket (peer, &msg.u.client_address))
    return TRUE;
  return _ws_session_send (self, &msg, error);
}

/* HELLO_REPLY, and with keys the challenge and its answer. A server with
 * keys greets before it gives a client a test slot, so that one without a
 * key cannot keep the server busy for those who have one. */
gboolean
ws_session_greet (WsSession  *self,
                  GError    **error)
{
  const WsHello *hello = &self->hello;
  guint8 nonce[WS_NONCE_SIZE];
  WsMessage msg;

  g_return_val_if_fail (!self->greeted, FALSE);
  self->greeted = TRUE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO_REPLY);
  msg.u.hello_reply.version = WS_PROTOCOL_V2;
  if (self->auth != NULL)
    {
      if (getrandom (nonce, sizeof nonce, 0) != sizeof nonce)
        return _ws_session_refuse (self, WS_PROTOCOL_ERROR_INTERNAL, "No randomness for a nonce", error);
      msg.u.hello_reply.flags = WS_HELLO_FLAG_AUTH_REQUIRED;
      memcpy (msg.u.hello_reply.nonce, nonce, sizeof nonce);
    }
  self->grant = (hello->capabilities & WS_CAP_TEST_GRANT) != 0;
  /* The count travels in TEST_GRANT: without it, the bit would promise
   * what never comes. */
  self->server_tests = self->grant && (hello->capabilities & WS_CAP_SERVER_TESTS);
  msg.u.hello_reply.capabilities = hello->capabilities
                                    & (WS_CAP_TEST_GRANT | WS_CAP_TEST_BYTES | WS_CAP_CLIENT_ADDRESS
                                       | (self->server_tests ? WS_CAP_SERVER_TESTS : 0)
                                       | (self->collecting ? WS_CAP_REPORTS : 0));
  if (!_ws_session_send (self, &msg, error))
    return FALSE;
  if ((hello->capabilities & WS_CAP_CLIENT_ADDRESS) && !send_client_address (self, error))
    return FALSE;
  return self->auth == NULL || check_auth (self, nonce, error);
}

/**
 * ws_session_read_request:
 *
 * After ws_session_greet(), the message that says what the client wants:
 * a test (TEST_REQUEST, which negotiate then takes) or reports (COLLECT,
 * ws_session_get_collect()). Read before the server gives out a slot, so
 * that a report connection never takes one.
 */
gboolean
ws_session_read_request (WsSession  *self,
                         GError    **error)
{
  g_return_val_if_fail (self->greeted && !self->have_first, FALSE);
  if (!_ws_session_read (self, &self->first, error))
    return FALSE;
  self->have_first = TRUE;
  return TRUE;
}

/* The COLLECT that ws_session_read_request() read; NULL for anything else. */
const WsCollect *
ws_session_get_collect (WsSession *self)
{
  if (!self->have_first || self->first.version != WS_PROTOCOL_V2 || self->first.type != WS_MSG_COLLECT)
    return NULL;
  return &self->first.u.collect;
}

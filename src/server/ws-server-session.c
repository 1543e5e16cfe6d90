/* ws-server-session.c — what the server asks of every kind of session
 *
 * Version 1, version 2 and iperf3 tests differ in everything on the wire
 * and in nothing the server does with them: claim a slot, negotiate,
 * become findable for their data connections, run, give their totals
 * back. So the server holds them all in one table and runs them all
 * through one path (ws-server.c), and each kind says the rest.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-server-session.h"

G_DEFINE_INTERFACE (WsServerSession, ws_server_session, G_TYPE_OBJECT)

static void
ws_server_session_default_init (WsServerSessionInterface *iface)
{
}

gboolean
ws_server_session_negotiate (WsServerSession  *self,
                             GError          **error)
{
  g_return_val_if_fail (WS_IS_SERVER_SESSION (self), FALSE);
  return WS_SERVER_SESSION_GET_IFACE (self)->negotiate (self, error);
}

gboolean
ws_server_session_run (WsServerSession  *self,
                       GError          **error)
{
  g_return_val_if_fail (WS_IS_SERVER_SESSION (self), FALSE);
  return WS_SERVER_SESSION_GET_IFACE (self)->run (self, error);
}

gboolean
ws_server_session_attach (WsServerSession         *self,
                          const WsDataConnection  *data,
                          GError                 **error)
{
  g_return_val_if_fail (WS_IS_SERVER_SESSION (self), FALSE);
  return WS_SERVER_SESSION_GET_IFACE (self)->attach (self, data, error);
}

void
ws_server_session_abort (WsServerSession *self)
{
  g_return_if_fail (WS_IS_SERVER_SESSION (self));
  WS_SERVER_SESSION_GET_IFACE (self)->abort (self);
}

gboolean
ws_server_session_match (WsServerSession    *self,
                         const WsSessionKey *key)
{
  g_return_val_if_fail (WS_IS_SERVER_SESSION (self), FALSE);
  return WS_SERVER_SESSION_GET_IFACE (self)->match (self, key);
}

void
ws_server_session_get_totals (WsServerSession *self,
                              WsSessionTotals *totals)
{
  g_return_if_fail (WS_IS_SERVER_SESSION (self));
  *totals = (WsSessionTotals) { 0 };
  WS_SERVER_SESSION_GET_IFACE (self)->get_totals (self, totals);
}

void
ws_server_session_refuse (WsServerSession *self,
                          WsClaim          claim,
                          guint            limit)
{
  g_return_if_fail (WS_IS_SERVER_SESSION (self));
  WS_SERVER_SESSION_GET_IFACE (self)->refuse (self, claim, limit);
}

char *
ws_server_session_describe_outcome (WsServerSession *self,
                                    const GError    *error)
{
  g_return_val_if_fail (WS_IS_SERVER_SESSION (self), NULL);
  return WS_SERVER_SESSION_GET_IFACE (self)->describe_outcome (self, error);
}

/* What a busy server says, in English (the client says its own words for
 * BUSY): no ngettext, whole sentences. */
char *
ws_server_session_busy_text (WsClaim claim,
                             guint   limit)
{
  if (claim == WS_CLAIM_BUSY)
    return limit == 1 ? g_strdup ("The server is busy: it already runs 1 test")
                      : g_strdup_printf ("The server is busy: it already runs %u tests", limit);
  return limit == 1 ? g_strdup ("The server is busy: this address already runs 1 test, "
                                "the most one address may run")
                    : g_strdup_printf ("The server is busy: this address already runs %u tests, "
                                       "the most one address may run", limit);
}

/* Busy for everybody or for this address: ERROR BUSY either way (the
 * client should try again later), its value the limit that was hit and
 * its text saying which. Version 1 has no way to say "busy": the ERROR
 * frame at least tells a person with a packet capture. */
void
ws_server_session_refuse_busy (WsChannel  *channel,
                               const char *peer,
                               WsClaim     claim,
                               guint       limit)
{
  g_autofree char *text = ws_server_session_busy_text (claim, limit);

  ws_channel_send_error (channel, WS_PROTOCOL_ERROR_BUSY, MIN (limit, G_MAXUINT16), text);
  g_info ("%s: refused, busy (%u sessions%s)", peer, limit,
          claim == WS_CLAIM_BUSY ? "" : " from this address");
}

/* ws-collect-session.c — one report connection, the agent's end
 *
 * PROTOCOL.md section 10: TLS, HELLO with REPORTS, AUTH, COLLECT, then
 * CONFIG_GET and the reports of the spool, oldest first, at most `window`
 * of them unanswered. A report leaves the spool only on its ACK (STORED,
 * DUPLICATE or REJECTED); one the connection loses stays and is sent again
 * on the next, which the collector's duplicate check makes harmless.
 *
 * Runs in the sender's thread with blocking I/O under deadlines; the
 * sender's cancellable ends it at once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-auth.h"
#include "ws-collect-session.h"
#include "ws-wirespeed-control.h"

/* How long a collector may take to answer a report: it acknowledges
 * after a commit, which a loaded database may hold for a while. */
#define ACK_TIMEOUT_NS (60 * WS_NSEC_PER_SEC)
/* Reports in flight, whatever window a collector grants: enough to keep
 * a group commit full, little to resend after a cut connection. */
#define MAX_WINDOW 64

struct _WsCollectSession {
  char *collector;       /* HOST:PORT as configured, for messages */
  WsControl *control;
  guint32 max_report;
  guint window;
  GCancellable *stop;
  GHashTable *in_flight; /* report id → nothing */
  gint64 last_seq;       /* the last spool entry sent on this connection */
};

void
ws_collect_session_close (WsCollectSession *session)
{
  if (session->control != NULL)
    {
      WsChannel *channel = session->control->channel;

      /* close_notify, then FIN: the collector sees an orderly end. A
       * connection with unread bytes is one being abandoned: just FIN. */
      g_socket_set_timeout (session->control->socket, 5);
      if (channel != NULL && ws_channel_is_tls (channel) && !ws_channel_has_pending (channel))
        g_io_stream_close (ws_channel_get_tls_stream (channel), NULL, NULL);
      ws_control_free (session->control);
    }
  g_clear_pointer (&session->in_flight, g_hash_table_unref);
  g_clear_object (&session->stop);
  g_free (session->collector);
  g_free (session);
}

void
ws_collect_tally_clear (WsCollectTally *tally)
{
  g_clear_pointer (&tally->retry_text, g_free);
  memset (tally, 0, sizeof *tally);
}

static gboolean
send_message (WsCollectSession  *session,
              WsMessage         *msg,
              GError           **error)
{
  return ws_control_send (session->control, msg, error);
}

static gboolean
authenticate (WsCollectSession            *session,
              const WsHelloReply          *reply,
              const WsCollectCredentials  *credentials,
              GError                     **error)
{
  WsMessage msg;

  if (!(reply->flags & WS_HELLO_FLAG_AUTH_REQUIRED))
    return TRUE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_AUTH);
  g_strlcpy (msg.u.auth.name, credentials->auth_name, sizeof msg.u.auth.name);
  ws_auth_compute (msg.u.auth.name, credentials->auth_secret, reply->nonce, msg.u.auth.mac);
  return send_message (session, &msg, error);
}

/* COLLECT_ACCEPT, or the collector's reason in its own words. */
static gboolean
read_accept (WsCollectSession  *session,
             GError           **error)
{
  WsMessage msg;

  if (!ws_channel_read_message (session->control->channel, &msg, ws_now_ns () + WS_CONTROL_TIMEOUT_NS,
                                session->stop, error))
    return FALSE;
  if (msg.type == WS_MSG_ERROR && (msg.u.error.code == WS_PROTOCOL_ERROR_AUTH_FAILED
                                   || msg.u.error.code == WS_PROTOCOL_ERROR_BUSY))
    ws_control_set_server_error (error, &msg);
  else if (msg.type == WS_MSG_ERROR)
    /* Translators: a collector, then its reason, in English. */
    g_set_error (error, WS_PROTOCOL_ERROR, msg.u.error.code, _("%s refused the reports: %s"),
                 session->collector, msg.u.error.text[0] ? msg.u.error.text : _("no reason given"));
  else if (msg.type != WS_MSG_COLLECT_ACCEPT)
    g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                 /* Translators: a collector, then a protocol message's name. */
                 _("%s sent %s where COLLECT_ACCEPT was expected"), session->collector,
                 ws_message_type_to_string (msg.version, msg.type));
  if (msg.type != WS_MSG_COLLECT_ACCEPT)
    return FALSE;
  session->max_report = msg.u.collect_accept.max_report;
  session->window = CLAMP (msg.u.collect_accept.window, 1, MAX_WINDOW);
  return TRUE;
}

static gboolean
handshake (WsCollectSession            *session,
           const WsCollectCredentials  *credentials,
           GError                     **error)
{
  WsHelloReply reply;
  WsMessage msg;

  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_HELLO);
  msg.u.hello.max_version = WS_PROTOCOL_V2;
  msg.u.hello.capabilities = WS_CAP_REPORTS;
  if (!send_message (session, &msg, error)
      || !ws_control_expect (session->control, WS_MSG_HELLO_REPLY, &msg, error))
    return FALSE;
  reply = msg.u.hello_reply;
  if (!(reply.capabilities & WS_CAP_REPORTS))
    {
      g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE,
                   _("%s does not collect reports"), session->collector);
      return FALSE;
    }
  if (!authenticate (session, &reply, credentials, error))
    return FALSE;
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_COLLECT);
  msg.u.collect.report_version = WS_REPORT_VERSION;
  msg.u.collect.flags = credentials->collect_flags;
  return send_message (session, &msg, error) && read_accept (session, error);
}

/**
 * ws_collect_session_open:
 * @collector: HOST[:PORT]
 *
 * Connects with TLS (always: a collector takes reports only in TLS),
 * authenticates and asks to send reports.
 */
WsCollectSession *
ws_collect_session_open (const char                  *collector,
                         const WsCollectCredentials  *credentials,
                         GCancellable                *stop,
                         GError                     **error)
{
  g_autoptr(WsCollectSession) session = g_new0 (WsCollectSession, 1);
  g_autoptr(GSocketConnectable) address = g_network_address_parse (collector, 5201, error);
  WsTestConfig tc;

  if (address == NULL)
    return NULL;
  session->collector = g_strdup (collector);
  session->stop = g_object_ref (stop);
  session->in_flight = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ws_test_config_init (&tc);
  g_free (tc.target);
  tc.target = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  tc.port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  tc.tls = TRUE;
  tc.tls_ca_file = g_strdup (credentials->tls_ca_file);
  tc.tls_fingerprint = g_strdup (credentials->tls_fingerprint);
  session->control = ws_control_connect (&tc, stop, error);
  ws_test_config_clear (&tc);
  if (session->control == NULL || !handshake (session, credentials, error))
    return NULL;
  return g_steal_pointer (&session);
}

/* The next frame the collector sends; its ERROR frame becomes @error. */
static gboolean
read_frame (WsCollectSession  *session,
            WsFrameHeader     *header,
            guint8           **payload,
            GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  WsErrorMessage e;

  if (!ws_channel_read_frame (session->control->channel, session->max_report, header, payload,
                              ws_now_ns () + ACK_TIMEOUT_NS, session->stop, &local_error))
    {
      if (local_error->domain == WS_PROTOCOL_ERROR)
        ws_channel_send_frame_error (session->control->channel, local_error->code, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (header->type != WS_FRAME_ERROR)
    return TRUE;
  if (!ws_frame_error_decode (*payload, header->length, &e, error))
    return FALSE;
  /* Translators: a collector, then its reason, in English. */
  g_set_error (error, WS_PROTOCOL_ERROR, e.code, _("%s sent an error: %s"), session->collector,
               e.text[0] != '\0' ? e.text : _("no reason given"));
  return FALSE;
}

static gboolean
unexpected (WsCollectSession  *session,
            WsFrameType        type,
            GError           **error)
{
  g_autofree char *text = g_strdup_printf ("Unexpected frame type 0x%02x", type);

  ws_channel_send_frame_error (session->control->channel, WS_PROTOCOL_ERROR_BAD_MESSAGE, text);
  g_set_error (error, WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
               /* Translators: a collector, then a protocol diagnostic, in English. */
               _("%s does not speak the report protocol: %s"), session->collector, text);
  return FALSE;
}

/**
 * ws_collect_session_config:
 * @digest: the SHA-256 of the central configuration the agent runs, or
 *   NULL when it runs none
 * @text: (out): with WS_CONFIG_NEW, the configuration
 */
gboolean
ws_collect_session_config (WsCollectSession  *session,
                           const guint8      *digest,
                           WsConfigStatus    *status,
                           char             **text,
                           GError           **error)
{
  guint8 frame[WS_FRAME_HEADER_SIZE + WS_FRAME_DIGEST_SIZE] = { 0 };
  g_autofree guint8 *payload = NULL;
  WsFrameHeader header;

  ws_frame_header_encode (WS_FRAME_CONFIG_GET, WS_FRAME_DIGEST_SIZE, frame);
  if (digest != NULL)
    memcpy (frame + WS_FRAME_HEADER_SIZE, digest, WS_FRAME_DIGEST_SIZE);
  if (!ws_channel_write_all (session->control->channel, frame, sizeof frame,
                             ws_now_ns () + WS_CONTROL_TIMEOUT_NS, session->stop, error)
      || !read_frame (session, &header, &payload, error))
    return FALSE;
  if (header.type != WS_FRAME_CONFIG)
    return unexpected (session, header.type, error);
  return ws_config_decode (payload, header.length, status, text, error);
}

static gboolean
send_report (WsCollectSession    *session,
             const WsSpoolEntry  *entry,
             GError             **error)
{
  gsize len = strlen (entry->json);
  g_autofree guint8 *frame = g_malloc (WS_FRAME_HEADER_SIZE + len);

  ws_frame_header_encode (WS_FRAME_REPORT, len, frame);
  memcpy (frame + WS_FRAME_HEADER_SIZE, entry->json, len);
  return ws_channel_write_all (session->control->channel, frame, WS_FRAME_HEADER_SIZE + len,
                               ws_now_ns () + ACK_TIMEOUT_NS, session->stop, error);
}

/* Sends the next reports of the spool while the window has room. */
static gboolean
fill_window (WsCollectSession  *session,
             WsSpool           *spool,
             WsCollectTally    *tally,
             GError           **error)
{
  guint room = session->window - g_hash_table_size (session->in_flight);
  g_autoptr(GPtrArray) entries = NULL;

  if (room == 0)
    return TRUE;
  entries = ws_spool_next (spool, session->last_seq, room, error);
  if (entries == NULL)
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      const WsSpoolEntry *e = entries->pdata[i];

      session->last_seq = e->seq;
      /* No collector this one talks to would take it: keeping it would
       * block the queue for good. */
      if (strlen (e->json) < 2 || strlen (e->json) > session->max_report)
        {
          g_message (_("Report %s is %zu bytes, over %s’s limit of %u: dropped"),
                     e->id, strlen (e->json), session->collector, session->max_report);
          tally->rejected++;
          if (!ws_spool_remove (spool, e->id, TRUE, error))
            return FALSE;
          continue;
        }
      if (!send_report (session, e, error))
        return FALSE;
      g_hash_table_add (session->in_flight, g_strdup (e->id));
      tally->sent++;
    }
  return TRUE;
}

static gboolean
take_ack (WsCollectSession  *session,
          WsSpool           *spool,
          const WsAck       *ack,
          WsCollectTally    *tally,
          GError           **error)
{
  g_autofree char *id = ws_report_id_from_bytes (ack->id);

  if (!g_hash_table_remove (session->in_flight, id))
    return TRUE;  /* an id answered twice, or never sent: nothing to do */
  switch (ack->status)
    {
    case WS_ACK_STORED:
      tally->stored++;
      return ws_spool_remove (spool, id, FALSE, error);
    case WS_ACK_DUPLICATE:
      tally->duplicates++;
      return ws_spool_remove (spool, id, FALSE, error);
    case WS_ACK_REJECTED:
      /* Translators: a report id, a collector, then its reason, in English. */
      g_message (_("Report %s rejected by %s: %s"), id, session->collector,
                 ack->text[0] != '\0' ? ack->text : _("no reason given"));
      tally->rejected++;
      return ws_spool_remove (spool, id, TRUE, error);
    case WS_ACK_RETRY:
    default:
      tally->retry_after_s = MAX (tally->retry_after_s, ack->retry_after_s);
      g_free (tally->retry_text);
      tally->retry_text = g_strdup (ack->text);
      return TRUE;
    }
}

static gboolean
read_ack (WsCollectSession  *session,
          WsSpool           *spool,
          WsCollectTally    *tally,
          GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *payload = NULL;
  WsFrameHeader header;
  WsAck ack;

  if (!read_frame (session, &header, &payload, error))
    return FALSE;
  if (header.type != WS_FRAME_ACK)
    return unexpected (session, header.type, error);
  if (!ws_ack_decode (payload, header.length, &ack, &local_error))
    {
      ws_channel_send_frame_error (session->control->channel, local_error->code, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return take_ack (session, spool, &ack, tally, error);
}

/**
 * ws_collect_session_send:
 *
 * Sends the spool, oldest first, and whatever is added to it meanwhile,
 * until every report sent is answered and nothing is left to send; or,
 * after a RETRY, until the reports in flight are answered (the caller
 * then waits tally->retry_after_s and starts again from the oldest).
 */
gboolean
ws_collect_session_send (WsCollectSession  *session,
                         WsSpool           *spool,
                         WsCollectTally    *tally,
                         GError           **error)
{
  for (;;)
    {
      if (tally->retry_after_s == 0 && !fill_window (session, spool, tally, error))
        return FALSE;
      if (g_hash_table_size (session->in_flight) == 0)
        return TRUE;
      if (!read_ack (session, spool, tally, error))
        return FALSE;
    }
}

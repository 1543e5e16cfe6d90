/* ws-collector-connection.c — one agent's report connection at the collector
 *
 * On the server's connection thread, after COLLECT (docs/PROTOCOL.md
 * section 10). The connection goes in rounds: read every frame that has
 * arrived, up to the window (so one agent's burst is one group for the
 * writer, and a flood waits in the agent's socket, not in our memory);
 * hand the valid reports to the writer and wait for its commit; write
 * every answer at once. A report is judged before it is queued, so that
 * no bad report can fail a transaction that holds good ones.
 *
 * Texts on the wire and in the log stay English (ws-server.c says why).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-collector-private.h"
#include "ws-io.h"
#include "ws-json.h"
#include "ws-time.h"

/* How long a refused agent gets to read its ERROR before the close. */
#define LINGER_NS (250 * WS_NSEC_PER_MSEC)

typedef struct {
  WsCollector *collector;
  const WsReportPeer *peer;
  gboolean relay;
  GPtrArray *entries;      /* WsCollectorEntry: this round's valid reports */
  GByteArray *out;         /* answers not yet written */
  guint unanswered;        /* reports read whose answer is not written */
  GError *end;             /* why the connection ends; NULL: it goes on */
  gboolean tell;           /* @end is the agent's fault: say it in an ERROR frame */
  WsCollectorBurst burst;
} Connection;

static gint64
idle_deadline (Connection *c)
{
  return ws_now_ns () + (gint64) c->peer->idle_timeout_s * WS_NSEC_PER_SEC;
}

static void
end_with (Connection *c,
          GError     *error,
          gboolean    tell)
{
  if (c->end == NULL)
    {
      c->end = error;
      c->tell = tell;
    }
  else
    g_error_free (error);
}

/* The answer to one report, written at the end of the round. */
static void
answer (Connection   *c,
        const guint8 *id,
        const char   *agent,
        WsAckStatus   status,
        guint16       retry_after_s,
        const char   *text,
        gboolean      store_failed)
{
  guint8 buf[WS_FRAME_HEADER_SIZE + WS_FRAME_ACK_FIXED + WS_FRAME_TEXT_MAX];
  g_autofree char *id_text = ws_report_id_from_bytes (id);
  WsAck ack;
  gsize n;

  ws_ack_init (&ack, id, status, retry_after_s, text);
  n = ws_ack_encode (&ack, buf, sizeof buf);
  g_assert (n > 0);
  g_byte_array_append (c->out, buf, n);
  c->unanswered++;
  _ws_collector_count (c->collector, agent, status, store_failed);
  g_info ("%s: report %s of %s: %s%s%s", c->peer->peer, id_text, agent,
          ws_ack_status_name (status), text ? ": " : "", text ? text : "");
}

/* The id of a report that was refused, for its ACK: zeros if there is
 * none to read. */
static void
read_id (const guint8 *payload,
         gsize         len,
         guint8        id[WS_REPORT_ID_SIZE])
{
  g_autoptr(JsonNode) root = ws_json_parse_bytes ((const char *) payload, len, NULL);
  JsonNode *member = NULL;

  memset (id, 0, WS_REPORT_ID_SIZE);
  if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
    member = json_object_get_member (json_node_get_object (root), "id");
  if (member != NULL && json_node_get_value_type (member) == G_TYPE_STRING
      && !ws_report_id_to_bytes (json_node_get_string (member), id))
    memset (id, 0, WS_REPORT_ID_SIZE);
}

/* One agent cannot report as another: without RELAY, the report is the
 * key's own (its agent member absent, null or the key's name); with
 * RELAY, from a trusted relay, it names the agent that measured it. */
static const char *
check_agent (Connection *c,
             WsReport   *report,
             char      **why)
{
  const char *key = c->peer->key_name;

  if (c->relay && report->agent == NULL)
    *why = g_strdup ("A relayed report must name its agent");
  else if (!c->relay && report->agent != NULL && strcmp (report->agent, key) != 0)
    *why = g_strdup_printf ("The report names agent “%s”, but this connection is key “%s”",
                            report->agent, key);
  else if (c->relay && _ws_collector_blocks (c->collector, report->agent))
    *why = g_strdup_printf ("Agent %s is blocked", report->agent);
  if (*why != NULL)
    return NULL;
  if (report->agent == NULL)
    report->agent = g_strdup (key);
  return report->agent;
}

static void
judge_report (Connection   *c,
              const guint8 *payload,
              gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsReport) report = ws_report_new_from_json ((const char *) payload, len, &error);
  g_autofree char *why = NULL;
  WsCollectorEntry *entry;
  const char *agent;
  guint16 retry_after_s = 0;
  guint8 id[WS_REPORT_ID_SIZE];

  if (report == NULL)
    {
      read_id (payload, len, id);
      answer (c, id, c->peer->key_name, WS_ACK_REJECTED, 0, error->message, FALSE);
      return;
    }
  ws_report_id_to_bytes (report->id, id);
  agent = check_agent (c, report, &why);
  if (agent == NULL)
    {
      answer (c, id, c->peer->key_name, WS_ACK_REJECTED, 0, why, FALSE);
      return;
    }
  if (!_ws_collector_take_token (c->collector, agent, &retry_after_s))
    {
      why = g_strdup_printf ("Agent %s is over this collector's rate of %g reports/s",
                             agent, c->collector->rate);
      answer (c, id, agent, WS_ACK_RETRY, retry_after_s, why, FALSE);
      return;
    }
  entry = g_new0 (WsCollectorEntry, 1);
  entry->report = g_steal_pointer (&report);
  memcpy (entry->id, id, sizeof id);
  g_ptr_array_add (c->entries, entry);
  c->unanswered++;
}

/* A key name becomes a file name only if it cannot leave the folder. */
static gboolean
config_name_safe (const char *name)
{
  return name[0] != '.' && strchr (name, '/') == NULL && strchr (name, '\\') == NULL;
}

/* DIR/NAME.conf, read afresh: an edit takes effect at the agent's next
 * request. NULL: none, or one that is not valid text (logged). */
static char *
read_agent_config (Connection *c)
{
  const char *dir = c->collector->config_dir;
  const char *name = c->peer->key_name;
  g_autofree char *file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize len;

  if (dir == NULL || !config_name_safe (name))
    return NULL;
  file = g_strconcat (name, ".conf", NULL);
  path = g_build_filename (dir, file, NULL);
  if (!g_file_get_contents (path, &text, &len, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("collector: configuration of %s: %s", name, error->message);
      return NULL;
    }
  if (len == 0 || len > WS_FRAME_CONFIG_MAX || strlen (text) != len || !g_utf8_validate (text, len, NULL))
    {
      g_message ("collector: configuration %s is not sent: empty, over %u bytes, or not UTF-8 text",
                 path, WS_FRAME_CONFIG_MAX);
      return NULL;
    }
  return g_steal_pointer (&text);
}

static void
answer_config (Connection   *c,
               const guint8 *digest)
{
  g_autofree char *text = read_agent_config (c);
  g_autoptr(GBytes) frame = NULL;
  WsConfigStatus status = WS_CONFIG_NONE;

  if (text != NULL)
    {
      guint8 mine[WS_FRAME_DIGEST_SIZE];
      gsize size = sizeof mine;
      g_autoptr(GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);

      g_checksum_update (sha, (const guchar *) text, strlen (text));
      g_checksum_get_digest (sha, mine, &size);
      status = memcmp (mine, digest, sizeof mine) == 0 ? WS_CONFIG_UNCHANGED : WS_CONFIG_NEW;
    }
  frame = ws_config_encode (status, text);
  g_byte_array_append (c->out, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  g_info ("%s: configuration of %s: %s", c->peer->peer, c->peer->key_name,
          status == WS_CONFIG_NONE ? "none" : status == WS_CONFIG_UNCHANGED ? "unchanged" : "new");
}

/* The agent's own ERROR: it is going away, and says why. */
static void
take_agent_error (Connection   *c,
                  const guint8 *payload,
                  gsize         len)
{
  WsErrorMessage msg;
  GError *error = NULL;

  if (ws_frame_error_decode (payload, len, &msg, &error))
    error = g_error_new (WS_PROTOCOL_ERROR, msg.code, "the agent sent ERROR: %s", msg.text);
  end_with (c, error, FALSE);
}

static void
handle_frame (Connection          *c,
              const WsFrameHeader *header,
              const guint8        *payload)
{
  switch (header->type)
    {
    case WS_FRAME_REPORT:
      judge_report (c, payload, header->length);
      break;
    case WS_FRAME_CONFIG_GET:
      answer_config (c, payload);
      break;
    case WS_FRAME_ERROR:
      take_agent_error (c, payload, header->length);
      break;
    case WS_FRAME_ACK:
    case WS_FRAME_CONFIG:
    default:
      end_with (c, g_error_new (WS_PROTOCOL_ERROR, WS_PROTOCOL_ERROR_BAD_MESSAGE,
                                "Report frame 0x%02x goes from a collector to an agent, not back",
                                header->type), TRUE);
      break;
    }
}

/* Every frame that has arrived, up to the window; at least one, waited
 * for up to the idle timeout. */
static void
read_round (Connection *c)
{
  WsChannel *channel = c->peer->channel;

  do
    {
      g_autofree guint8 *payload = NULL;
      GError *error = NULL;
      WsFrameHeader header;

      if (!ws_channel_read_frame (channel, c->collector->max_report, &header, &payload,
                                  idle_deadline (c), c->peer->cancellable, &error))
        {
          /* A header refused by its bounds (an oversized report, say) is
           * not read further: the agent is told and the connection ends. */
          end_with (c, error, error->domain == WS_PROTOCOL_ERROR);
          return;
        }
      handle_frame (c, &header, payload);
    }
  while (c->end == NULL && c->unanswered < c->collector->window && ws_channel_has_pending (channel));
}

/* The round's valid reports through the writer, then their answers. */
static void
commit_round (Connection *c)
{
  if (c->entries->len == 0)
    return;
  _ws_collector_commit (c->collector, c->entries, &c->burst);
  for (guint i = 0; i < c->entries->len; i++)
    {
      WsCollectorEntry *e = g_ptr_array_index (c->entries, i);

      c->unanswered--;  /* counted again as its answer is written */
      answer (c, e->id, e->report->agent, e->status, e->retry_after_s, e->text,
              e->status == WS_ACK_RETRY);
    }
  g_ptr_array_set_size (c->entries, 0);
}

static gboolean
flush (Connection  *c,
       GError     **error)
{
  gboolean ok = TRUE;

  if (c->out->len > 0)
    ok = ws_channel_write_all (c->peer->channel, c->out->data, c->out->len, idle_deadline (c),
                               c->peer->cancellable, error);
  g_byte_array_set_size (c->out, 0);
  c->unanswered = 0;
  return ok;
}

static gboolean
refuse_collect (Connection       *c,
                WsProtocolError   code,
                const char       *text,
                GError          **error)
{
  ws_channel_send_error (c->peer->channel, code, 0, text);
  ws_io_linger_close (ws_channel_get_socket (c->peer->channel), LINGER_NS);
  g_set_error_literal (error, WS_PROTOCOL_ERROR, code, text);
  return FALSE;
}

static gboolean
accept_collect (Connection  *c,
                GError     **error)
{
  const WsReportPeer *peer = c->peer;
  WsMessage msg;

  if (_ws_collector_blocks (c->collector, peer->key_name))
    {
      g_autofree char *text = g_strdup_printf ("Agent %s is blocked", peer->key_name);

      g_info ("%s: agent %s refused: blocked", peer->peer, peer->key_name);
      return refuse_collect (c, WS_PROTOCOL_ERROR_ACCESS_DENIED, text, error);
    }
  if (c->relay && !_ws_collector_trusts_relay (c->collector, peer->key_name))
    {
      g_autofree char *text = g_strdup_printf ("Key %s may not relay other agents' reports",
                                               peer->key_name);

      return refuse_collect (c, WS_PROTOCOL_ERROR_INVALID_VALUE, text, error);
    }
  ws_message_init (&msg, WS_PROTOCOL_V2, WS_MSG_COLLECT_ACCEPT);
  msg.u.collect_accept.max_report = c->collector->max_report;
  msg.u.collect_accept.window = c->collector->window;
  return ws_channel_send_message (peer->channel, &msg, idle_deadline (c), peer->cancellable, error);
}

/* Why the connection ended, for the log and the caller: the agent's
 * close and the server's stop are no errors. */
static gboolean
finish (Connection  *c,
        GError     **error)
{
  const WsReportPeer *peer = c->peer;
  GError *end = c->end;

  if (c->tell)
    {
      ws_channel_send_frame_error (peer->channel, end->code, end->message);
      ws_io_linger_close (ws_channel_get_socket (peer->channel), LINGER_NS);
    }
  if (end == NULL || g_error_matches (end, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
      || g_error_matches (end, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_info ("%s: agent %s disconnected", peer->peer, peer->key_name);
      return TRUE;
    }
  g_info ("%s: agent %s disconnected: %s", peer->peer, peer->key_name, end->message);
  g_propagate_error (error, g_steal_pointer (&c->end));
  return FALSE;
}

gboolean
_ws_collector_serve (WsCollector         *self,
                     const WsReportPeer  *peer,
                     GError             **error)
{
  Connection c = { self, peer, (peer->flags & WS_COLLECT_FLAG_RELAY) != 0 };
  gboolean ok;

  if (!accept_collect (&c, error))
    return FALSE;
  _ws_collector_count_connection (self, peer->key_name);
  g_info ("%s: agent %s connected%s", peer->peer, peer->key_name, c.relay ? " (relay)" : "");
  c.entries = g_ptr_array_new_with_free_func ((GDestroyNotify) _ws_collector_entry_free);
  c.out = g_byte_array_new ();
  g_cond_init (&c.burst.done);
  while (c.end == NULL)
    {
      GError *write_error = NULL;

      read_round (&c);
      commit_round (&c);
      if (!flush (&c, &write_error))
        end_with (&c, write_error, FALSE);
    }
  ok = finish (&c, error);
  g_clear_error (&c.end);
  g_cond_clear (&c.burst.done);
  g_ptr_array_unref (c.entries);
  g_byte_array_unref (c.out);
  return ok;
}

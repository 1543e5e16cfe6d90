/* test-collector.c — `wirespeed --server --collect`, on the wire
 *
 * The real binary with TLS and keys on a loopback port, and agents played
 * by a minimal sender (ws-report-wire.h) that speaks the report protocol
 * byte for byte. The database is then read with WsStore: ids, not counts.
 * The group commit and the store's failures are shown in process, with a
 * store whose commits the test holds and breaks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "ws-collector.h"
#include "ws-pg-util.h"
#include "ws-proc-util.h"
#include "ws-report-wire.h"
#include "ws-server.h"

#define KEYS "edge-1:secret-1\nedge-2:secret-2\nedge-3:secret-3\nrelay-1:secret-r\n"

typedef enum {
  BACKEND_SQLITE,
  BACKEND_PG,
} Backend;

typedef struct {
  char *dir;
  char *keys;
  char *cert;
  char *key;
  char *fingerprint;
  char *db;
  guint port;
  Proc *server;
} Fixture;

static char *
tls_file (const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", name, NULL);
}

static char *
write_private (const char *dir,
               const char *name,
               const char *text)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_no_errno (g_chmod (path, 0600));
  return path;
}

static void
fixture_init (Fixture *f,
              Backend  backend)
{
  g_autoptr(GTlsCertificate) cert = NULL;

  memset (f, 0, sizeof *f);
  f->dir = g_dir_make_tmp ("ws-collector-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->keys = write_private (f->dir, "keys", KEYS);
  f->cert = tls_file ("server.pem");
  f->key = tls_file ("server-key.pem");
  cert = g_tls_certificate_new_from_files (f->cert, f->key, NULL);
  g_assert_nonnull (cert);
  f->fingerprint = ws_tls_certificate_fingerprint (cert);
  f->db = backend == BACKEND_PG ? pg_new_database () : g_build_filename (f->dir, "reports.db", NULL);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_dir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_clear (Fixture *f)
{
  g_clear_pointer (&f->server, proc_free);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->keys);
  g_free (f->cert);
  g_free (f->key);
  g_free (f->fingerprint);
  g_free (f->db);
}

/* `wirespeed --server --port 0 ARGS…`, waiting until it listens. */
static Proc *
spawn_listening (guint      *port,
                 GPtrArray  *args)
{
  g_autofree char *line = NULL;
  const char *where;
  Proc *p;

  g_ptr_array_add (args, NULL);
  p = proc_spawnv ((const char * const *) args->pdata);
  line = read_line (&p->out, LISTEN_TIMEOUT_MS);
  if (line == NULL || !g_str_has_prefix (line, "Wirespeed " PACKAGE_VERSION " server listening on port "))
    {
      g_autoptr(Outcome) o = proc_finish (p, 5000);

      g_error ("the server did not start: %s", o->err);
    }
  where = strstr (line, " port ");
  *port = (guint) g_ascii_strtoull (where + strlen (" port "), NULL, 10);
  g_assert_cmpuint (*port, >, 0);
  return p;
}

static void start_collector (Fixture *f, ...) G_GNUC_NULL_TERMINATED;

/* A collector with TLS and the keys, and the options given. */
static void
start_collector (Fixture *f,
                 ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (args, "--server");
  g_ptr_array_add (args, "--port");
  g_ptr_array_add (args, "0");
  g_ptr_array_add (args, "--tls-cert");
  g_ptr_array_add (args, f->cert);
  g_ptr_array_add (args, "--tls-key");
  g_ptr_array_add (args, f->key);
  g_ptr_array_add (args, "--auth-file");
  g_ptr_array_add (args, f->keys);
  g_ptr_array_add (args, "--collect");
  g_ptr_array_add (args, f->db);
  va_start (ap, f);
  for (const char *a = va_arg (ap, const char *); a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  f->server = spawn_listening (&f->port, args);
}

/* Stops the collector: its last lines count what it answered. */
static Outcome *
stop_collector (Fixture *f)
{
  Outcome *o = stop_server (f->server, SIGTERM);

  g_clear_pointer (&f->server, proc_free);
  return o;
}

static const char *
secret_of (const char *name)
{
  static const char *const keys[][2] = {
    { "edge-1", "secret-1" }, { "edge-2", "secret-2" }, { "edge-3", "secret-3" },
    { "relay-1", "secret-r" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (g_str_equal (keys[i][0], name))
      return keys[i][1];
  return "wrong";
}

/* An agent's report connection, accepted. */
static Wire *
agent_open (Fixture    *f,
            const char *name,
            guint16     flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wire) w = wire_connect (f->port, NULL, f->fingerprint, &error);

  g_assert_no_error (error);
  if (!wire_collect (w, WS_CAP_REPORTS, name, secret_of (name), flags, &error))
    g_error ("COLLECT as %s refused: %s", name, error ? error->message : w->refusal.text);
  g_assert_true (w->reply.capabilities & WS_CAP_REPORTS);
  return g_steal_pointer (&w);
}

/* The ERROR a COLLECT as @name gets. */
static WsErrorMessage
collect_refused (guint16     port,
                 const char *fingerprint,
                 guint32     caps,
                 const char *name,
                 guint16     flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Wire) w = wire_connect (port, NULL, fingerprint, &error);

  g_assert_no_error (error);
  g_assert_false (wire_collect (w, caps, name, secret_of (name), flags, &error));
  g_assert_no_error (error);
  g_assert_true (w->refused);
  return w->refusal;
}

/* Sends @n reports naming @agent (NULL: none) without waiting; their ids
 * go to @ids. */
static void
send_reports (Wire       *w,
              guint       n,
              const char *agent,
              GPtrArray  *ids)
{
  g_autoptr(GString) burst = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  /* One write for the lot: they arrive together, as a spool's do. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = NULL;
      g_autofree char *json = wire_report_json (agent, "target.example", &id);
      guint8 head[WS_FRAME_HEADER_SIZE];

      ws_frame_header_encode (WS_FRAME_REPORT, strlen (json), head);
      g_string_append_len (burst, (const char *) head, sizeof head);
      g_string_append (burst, json);
      g_ptr_array_add (ids, g_steal_pointer (&id));
    }
  ws_channel_write_all (w->channel, (const guint8 *) burst->str, burst->len, wire_deadline (), NULL, &error);
  g_assert_no_error (error);
}

typedef struct {
  guint n[4];            /* by WsAckStatus */
  GHashTable *ids;       /* id → status, as ACKed */
  guint16 retry_after_s; /* the last RETRY's */
  char *text;            /* the last text */
} Acks;

static void
acks_init (Acks *a)
{
  memset (a, 0, sizeof *a);
  a->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
acks_clear (Acks *a)
{
  g_hash_table_unref (a->ids);
  g_free (a->text);
}

static void
read_acks (Wire *w,
           guint n,
           Acks *a)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      WsAck ack;

      if (!wire_read_ack (w, &ack, &error))
        g_error ("ACK %u of %u: %s", i + 1, n, error->message);
      a->n[ack.status]++;
      g_hash_table_replace (a->ids, ws_report_id_from_bytes (ack.id), GINT_TO_POINTER (ack.status));
      if (ack.status == WS_ACK_RETRY)
        a->retry_after_s = ack.retry_after_s;
      g_free (a->text);
      a->text = g_strdup (ack.text);
    }
}

/* The ids in the database. */
static GHashTable *
stored_ids (const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = ws_store_open (location, &error);
  g_autoptr(GPtrArray) ids = NULL;
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  ids = ws_store_list_ids (store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < ids->len; i++)
    g_hash_table_add (set, g_strdup (g_ptr_array_index (ids, i)));
  return set;
}

static void
assert_same_ids (GHashTable *stored,
                 GPtrArray  *sent)
{
  g_assert_cmpuint (g_hash_table_size (stored), ==, sent->len);
  for (guint i = 0; i < sent->len; i++)
    if (!g_hash_table_contains (stored, g_ptr_array_index (sent, i)))
      g_error ("report %s was acknowledged but is not in the database",
               (const char *) g_ptr_array_index (sent, i));
}

static gboolean
skip_unless_ready (Backend backend)
{
  if (backend == BACKEND_PG && pg.skip_reason != NULL)
    {
      g_test_fail_printf ("no PostgreSQL to test against: %s", pg.skip_reason);
      return TRUE;
    }
  return FALSE;
}

/* Stored once, ACKed STORED after the commit; sent again, DUPLICATE, and
 * still one row per id; a window of 32 in flight, all answered. */
static void
test_store_duplicate (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) stored = NULL;
  g_autoptr(Outcome) o = NULL;
  Fixture f;
  Acks first, again;

  if (skip_unless_ready (backend))
    return;
  fixture_init (&f, backend);
  start_collector (&f, "--verbose", NULL);
  acks_init (&first);
  acks_init (&again);
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);

    g_assert_cmpuint (w->accept.max_report, ==, WS_REPORT_DEFAULT_MAX);
    g_assert_cmpuint (w->accept.window, ==, WS_COLLECTOR_DEFAULT_WINDOW);
    /* A full window in flight, named and not named. */
    send_reports (w, 16, "edge-1", ids);
    send_reports (w, 16, NULL, ids);
    read_acks (w, 32, &first);
    g_assert_cmpuint (first.n[WS_ACK_STORED], ==, 32);
    for (guint i = 0; i < ids->len; i++)
      g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (first.ids, ids->pdata[i])), ==, WS_ACK_STORED);
  }
  /* Resent on a new connection, as an agent that missed the ACKs does. */
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);
    g_autoptr(GString) burst = g_string_new (NULL);
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < ids->len; i++)
      {
        WsResult *result = wire_speed_result ("target.example", 1764000000);
        g_autoptr(WsReport) r = ws_report_new (ids->pdata[i], "edge-1", result);
        g_autofree char *json = NULL;

        ws_result_unref (result);
        json = ws_report_to_json (r);
        g_assert_true (wire_send_report (w, json, &error));
      }
    read_acks (w, ids->len, &again);
    g_assert_cmpuint (again.n[WS_ACK_DUPLICATE], ==, 32);
  }
  stored = stored_ids (f.db);
  assert_same_ids (stored, ids);
  o = stop_collector (&f);
  assert_contains (o->out, "Reports: 32 stored, 32 duplicate, 0 rejected, 0 to retry");
  /* --verbose: the agent's connections and every report. */
  assert_contains (o->err, ": agent edge-1 connected\n");
  assert_contains (o->err, ": agent edge-1 disconnected\n");
  {
    g_autofree char *line = g_strdup_printf (": report %s of edge-1: stored\n", (char *) ids->pdata[0]);
    g_autofree char *dup = g_strdup_printf (": report %s of edge-1: duplicate\n", (char *) ids->pdata[0]);

    assert_contains (o->err, line);
    assert_contains (o->err, dup);
  }
  acks_clear (&first);
  acks_clear (&again);
  fixture_clear (&f);
}

/* Bad reports: answered REJECTED with the reason, stored nowhere, and the
 * connection goes on. */
static void
test_rejected (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autoptr(GPtrArray) good = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) bad = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autofree char *no_result = NULL;
  Fixture f;
  Acks a;

  if (skip_unless_ready (backend))
    return;
  fixture_init (&f, backend);
  start_collector (&f, NULL);
  acks_init (&a);
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);
    g_autofree char *uuid = g_uuid_string_random ();

    /* Another agent's name on edge-1's key. */
    send_reports (w, 1, "edge-2", bad);
    read_acks (w, 1, &a);
    g_assert_cmpuint (a.n[WS_ACK_REJECTED], ==, 1);
    g_assert_true (g_hash_table_contains (a.ids, bad->pdata[0]));
    assert_contains (a.text, "names agent “edge-2”, but this connection is key “edge-1”");

    /* Not JSON: no id to read, so the ACK's is all zeros. */
    g_assert_true (wire_send_report (w, "{\"id\": \"0b9b6a4e-5c1f-4f3e-9d7a-", &error));
    read_acks (w, 1, &a);
    g_assert_cmpuint (a.n[WS_ACK_REJECTED], ==, 2);
    g_assert_true (g_hash_table_contains (a.ids, "00000000-0000-0000-0000-000000000000"));
    assert_contains (a.text, "not JSON");

    /* JSON with an id and no result: rejected under its own id. */
    no_result = g_strdup_printf ("{\"id\": \"%s\", \"agent\": null}", uuid);
    g_assert_true (wire_send_report (w, no_result, &error));
    read_acks (w, 1, &a);
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (a.ids, uuid)), ==, WS_ACK_REJECTED);
    assert_contains (a.text, "no result");
    g_ptr_array_add (bad, g_steal_pointer (&uuid));

    /* And the connection still takes good ones. */
    send_reports (w, 3, NULL, good);
    read_acks (w, 3, &a);
    g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 3);
  }
  stored = stored_ids (f.db);
  assert_same_ids (stored, good);
  for (guint i = 0; i < bad->len; i++)
    g_assert_false (g_hash_table_contains (stored, bad->pdata[i]));
  o = stop_collector (&f);
  assert_contains (o->out, "Reports: 3 stored, 0 duplicate, 3 rejected");
  acks_clear (&a);
  fixture_clear (&f);
}

/* A REPORT over --max-report-size: ERROR BAD_MESSAGE from its header and
 * the close; the collector serves the next agent. */
static void
test_oversized (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autofree guint8 *payload = NULL;
  WsFrameHeader header;
  WsErrorMessage msg;
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, "--max-report-size", "4K", NULL);
  acks_init (&a);
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);
    g_autofree char *big = g_strnfill (5000, ' ');

    g_assert_cmpuint (w->accept.max_report, ==, 4096);
    g_assert_true (wire_send_frame (w, WS_FRAME_REPORT, big, 5000, &error));
    g_assert_true (wire_read_frame (w, &header, &payload, &error));
    g_assert_cmpint (header.type, ==, WS_FRAME_ERROR);
    g_assert_true (ws_frame_error_decode (payload, header.length, &msg, &error));
    g_assert_cmpint (msg.code, ==, WS_PROTOCOL_ERROR_BAD_MESSAGE);
    g_assert_cmpstr (msg.text, ==, "A report of 5000 bytes is over this collector's limit of 4096");
    g_clear_pointer (&payload, g_free);
    g_assert_false (wire_read_frame (w, &header, &payload, &error));
    g_clear_error (&error);
  }
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-2", 0);

    send_reports (w, 5, NULL, ids);
    read_acks (w, 5, &a);
    g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 5);
  }
  o = stop_collector (&f);
  assert_contains (o->out, "Reports: 5 stored");
  acks_clear (&a);
  fixture_clear (&f);
}

typedef struct {
  Wire *wire;
  guint n;
  Acks acks;
  gint64 elapsed_us;
} Flood;

/* One agent as fast as its window lets it. */
static gpointer
flood_thread (gpointer data)
{
  Flood *fl = data;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gint64 start = g_get_monotonic_time ();
  guint window = fl->wire->accept.window;

  for (guint sent = 0; sent < fl->n; sent += window)
    {
      guint now = MIN (window, fl->n - sent);

      send_reports (fl->wire, now, NULL, ids);
      read_acks (fl->wire, now, &fl->acks);
    }
  fl->elapsed_us = g_get_monotonic_time () - start;
  return NULL;
}

/* One agent floods: over the rate it is told RETRY, with when; another
 * agent's reports are STORED meanwhile. */
static void
test_flood (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(Wire) flooder = NULL;
  g_autoptr(Wire) calm = NULL;
  GThread *thread;
  gint64 start, calm_us;
  Flood fl = { 0 };
  gdouble max_stored;
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  /* 5 reports/s: a bucket of 75. */
  start_collector (&f, "--collect-rate", "5", NULL);
  acks_init (&a);
  acks_init (&fl.acks);
  flooder = agent_open (&f, "edge-1", 0);
  calm = agent_open (&f, "edge-2", 0);
  fl.wire = flooder;
  fl.n = 640;
  thread = g_thread_new ("flood", flood_thread, &fl);
  start = g_get_monotonic_time ();
  for (guint i = 0; i < 20; i++)
    {
      send_reports (calm, 1, NULL, ids);
      read_acks (calm, 1, &a);
    }
  calm_us = g_get_monotonic_time () - start;
  g_thread_join (thread);

  g_test_message ("flooder: %u reports in %.2f s: %u stored, %u told to retry (after %u s); "
                  "meanwhile the other agent: %u of 20 stored in %.2f s",
                  fl.n, fl.elapsed_us / 1e6, fl.acks.n[WS_ACK_STORED], fl.acks.n[WS_ACK_RETRY],
                  fl.acks.retry_after_s, a.n[WS_ACK_STORED], calm_us / 1e6);
  g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 20);
  g_assert_cmpuint (fl.acks.n[WS_ACK_STORED] + fl.acks.n[WS_ACK_RETRY], ==, fl.n);
  /* The bucket's 75, and 5 a second while the flood lasted. */
  max_stored = 75 + 5 * (fl.elapsed_us / 1e6) + 1;
  g_assert_cmpuint (fl.acks.n[WS_ACK_STORED], >=, 75);
  g_assert_cmpfloat (fl.acks.n[WS_ACK_STORED], <=, max_stored);
  g_assert_cmpuint (fl.acks.n[WS_ACK_RETRY], >, 0);
  g_assert_cmpuint (fl.acks.retry_after_s, >=, 1);
  assert_contains (fl.acks.text, "over this collector's rate of 5 reports/s");
  {
    g_autoptr(GHashTable) stored = stored_ids (f.db);

    g_assert_cmpuint (g_hash_table_size (stored), ==, 20 + fl.acks.n[WS_ACK_STORED]);
    for (guint i = 0; i < ids->len; i++)
      g_assert_true (g_hash_table_contains (stored, ids->pdata[i]));
  }
  g_clear_pointer (&flooder, wire_free);
  g_clear_pointer (&calm, wire_free);
  o = stop_collector (&f);
  acks_clear (&a);
  acks_clear (&fl.acks);
  fixture_clear (&f);
}

/* --retain: at start, reports of tests older than that are deleted;
 * newer ones stay. */
static void
test_retain (void)
{
  g_autoptr(GHashTable) stored = NULL;
  g_autofree char *old_id = g_uuid_string_random ();
  g_autofree char *new_id = g_uuid_string_random ();
  Fixture f;

  fixture_init (&f, BACKEND_SQLITE);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(WsStore) store = ws_store_open (f.db, &error);
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;
    WsResult *old = wire_speed_result ("target.example", now - 3 * 86400);
    WsResult *recent = wire_speed_result ("target.example", now - 3600);
    g_autoptr(WsReport) a = ws_report_new (old_id, "edge-1", old);
    g_autoptr(WsReport) b = ws_report_new (new_id, "edge-1", recent);

    ws_result_unref (old);
    ws_result_unref (recent);
    g_assert_no_error (error);
    g_assert_true (ws_store_add (store, a, NULL, &error));
    g_assert_true (ws_store_add (store, b, NULL, &error));
  }
  start_collector (&f, "--retain", "2d", "--verbose", NULL);
  g_free (wait_for_line (f.server, &f.server->err, "collector: retention deleted 1 reports", 30000));
  outcome_free (stop_collector (&f));
  stored = stored_ids (f.db);
  g_assert_false (g_hash_table_contains (stored, old_id));
  g_assert_true (g_hash_table_contains (stored, new_id));
  fixture_clear (&f);
}

/* Where COLLECT is refused, and with which words. */
static void
test_refusals (void)
{
  g_autofree char *plain_keys = NULL;
  g_autoptr(Proc) plain = NULL;
  WsErrorMessage e;
  guint port;
  Fixture f;

  fixture_init (&f, BACKEND_SQLITE);
  /* A collector that serves plaintext tests still takes reports only in TLS. */
  start_collector (&f, "--allow-plaintext", NULL);
  e = collect_refused (f.port, NULL, WS_CAP_REPORTS, "edge-1", 0);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_TLS_REQUIRED);
  g_assert_cmpstr (e.text, ==, "Reports need TLS");
  /* An agent that did not announce REPORTS. */
  e = collect_refused (f.port, f.fingerprint, 0, "edge-1", 0);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE);
  /* A wrong key, as for a test. */
  e = collect_refused (f.port, f.fingerprint, WS_CAP_REPORTS, "nobody", 0);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_AUTH_FAILED);
  outcome_free (stop_collector (&f));

  /* Past --max-report-connections: BUSY, with the limit. */
  start_collector (&f, "--max-report-connections", "1", NULL);
  {
    g_autoptr(Wire) first = agent_open (&f, "edge-1", 0);

    e = collect_refused (f.port, f.fingerprint, WS_CAP_REPORTS, "edge-2", 0);
    g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_BUSY);
    g_assert_cmpint (e.value, ==, 1);
    g_assert_cmpstr (e.text, ==, "The collector is busy: it already serves 1 report connections");
  }
  outcome_free (stop_collector (&f));

  /* No --collect, with keys, and without anything. */
  plain = spawn_server (&port, "--tls-cert", f.cert, "--tls-key", f.key, "--auth-file", f.keys, NULL);
  e = collect_refused (port, f.fingerprint, WS_CAP_REPORTS, "edge-1", 0);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE);
  g_assert_cmpstr (e.text, ==, "This server does not collect reports");
  g_clear_pointer (&plain, proc_free);
  plain = spawn_server (&port, NULL);
  e = collect_refused (port, NULL, WS_CAP_REPORTS, "edge-1", 0);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_UNSUPPORTED_MODE);
  g_assert_cmpstr (e.text, ==, "This server does not collect reports");
  fixture_clear (&f);
}

static char *
agent_of (const char *db,
          const char *id)
{
  sqlite3 *conn = NULL;
  sqlite3_stmt *stmt = NULL;
  char *agent = NULL;

  g_assert_cmpint (sqlite3_open_v2 (db, &conn, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (conn, "SELECT agent FROM reports WHERE id = ?", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    agent = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (conn);
  return agent;
}

/* RELAY: refused from a key not trusted to relay; from a --trust-relay
 * key, reports keep the names of the agents that measured them. */
static void
test_relay (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) unnamed = g_ptr_array_new_with_free_func (g_free);
  WsErrorMessage e;
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, "--trust-relay", "relay-1", "--verbose", NULL);
  acks_init (&a);
  e = collect_refused (f.port, f.fingerprint, WS_CAP_REPORTS, "edge-1", WS_COLLECT_FLAG_RELAY);
  g_assert_cmpint (e.code, ==, WS_PROTOCOL_ERROR_INVALID_VALUE);
  g_assert_cmpstr (e.text, ==, "Key edge-1 may not relay other agents' reports");
  {
    g_autoptr(Wire) w = agent_open (&f, "relay-1", WS_COLLECT_FLAG_RELAY);
    g_autofree char *line = wait_for_line (f.server, &f.server->err, "agent relay-1 connected (relay)", 30000);

    g_assert_nonnull (line);
    send_reports (w, 2, "edge-2", ids);
    send_reports (w, 2, "edge-3", ids);
    send_reports (w, 1, NULL, unnamed);
    read_acks (w, 5, &a);
    g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 4);
    g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (a.ids, unnamed->pdata[0])), ==, WS_ACK_REJECTED);
  }
  outcome_free (stop_collector (&f));
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *agent = agent_of (f.db, ids->pdata[i]);

      g_assert_cmpstr (agent, ==, i < 2 ? "edge-2" : "edge-3");
    }
  g_assert_null (agent_of (f.db, unnamed->pdata[0]));
  acks_clear (&a);
  fixture_clear (&f);
}

static WsConfigStatus
config_get (Wire         *w,
            const guint8 *digest,
            char        **text)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *payload = NULL;
  WsFrameHeader header;
  WsConfigStatus status;

  g_assert_true (wire_send_frame (w, WS_FRAME_CONFIG_GET, digest, WS_FRAME_DIGEST_SIZE, &error));
  g_assert_true (wire_read_frame (w, &header, &payload, &error));
  g_assert_cmpint (header.type, ==, WS_FRAME_CONFIG);
  g_assert_true (ws_config_decode (payload, header.length, &status, text, &error));
  g_assert_no_error (error);
  return status;
}

static void
digest_of (const char *text,
           guint8      digest[WS_FRAME_DIGEST_SIZE])
{
  g_autoptr(GChecksum) sha = g_checksum_new (G_CHECKSUM_SHA256);
  gsize size = WS_FRAME_DIGEST_SIZE;

  g_checksum_update (sha, (const guchar *) text, strlen (text));
  g_checksum_get_digest (sha, digest, &size);
}

/* CONFIG_GET: NONE without a file, NEW with it, UNCHANGED for its digest,
 * NEW again once it is edited (read at every request). */
static void
test_config (void)
{
  static const char first[] = "[target speed]\nhost = a.example\nevery = 5m\n";
  static const char second[] = "[target speed]\nhost = b.example\nevery = 10m\n";
  guint8 zero[WS_FRAME_DIGEST_SIZE] = { 0 };
  guint8 digest[WS_FRAME_DIGEST_SIZE];
  g_autofree char *dir = NULL;
  g_autofree char *conf = NULL;
  Fixture f;

  fixture_init (&f, BACKEND_SQLITE);
  dir = g_build_filename (f.dir, "agents", NULL);
  g_assert_no_errno (g_mkdir (dir, 0700));
  start_collector (&f, "--agent-config", dir, NULL);
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);
    g_autofree char *text = NULL;

    g_assert_cmpint (config_get (w, zero, &text), ==, WS_CONFIG_NONE);
    g_assert_null (text);
    conf = write_private (dir, "edge-1.conf", first);
    g_assert_cmpint (config_get (w, zero, &text), ==, WS_CONFIG_NEW);
    g_assert_cmpstr (text, ==, first);
    g_clear_pointer (&text, g_free);
    digest_of (first, digest);
    g_assert_cmpint (config_get (w, digest, &text), ==, WS_CONFIG_UNCHANGED);
    g_assert_null (text);
  }
  g_assert_true (g_file_set_contents (conf, second, -1, NULL));
  {
    g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);
    g_autoptr(Wire) other = agent_open (&f, "edge-2", 0);
    g_autofree char *text = NULL;

    g_assert_cmpint (config_get (w, digest, &text), ==, WS_CONFIG_NEW);
    g_assert_cmpstr (text, ==, second);
    g_clear_pointer (&text, g_free);
    g_assert_cmpint (config_get (other, digest, &text), ==, WS_CONFIG_NONE);
  }
  outcome_free (stop_collector (&f));
  fixture_clear (&f);
}

/* Peers that connect and never finish a handshake hold their own
 * threads only: other agents' reports are stored meanwhile. (A handshake
 * in glib-networking takes a thread of GIO's shared pool, ten that grow
 * by one every ~0.1 s: 100 handshakes waiting there for their
 * ClientHello would hold up the next one for some 40 s, past the
 * sender's 30 s timeout. The server waits for the ClientHello itself.) */
static void
test_slow_handshake (void)
{
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  static const guint8 hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
  gint64 start;
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, "--idle-timeout", "120", NULL);
  acks_init (&a);
  /* Within the 128 one address may hold: 100 start a ClientHello and
   * stop, 20 say nothing. */
  for (guint i = 0; i < 120; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocketConnection *c = g_socket_client_connect_to_host (client, "127.0.0.1", f.port, NULL, &error);

      g_assert_no_error (error);
      if (i < 100)
        g_assert_cmpint (g_socket_send (g_socket_connection_get_socket (c), (const char *) hello_start,
                                        sizeof hello_start, NULL, NULL), ==, sizeof hello_start);
      g_ptr_array_add (stalled, c);
    }
  start = g_get_monotonic_time ();
  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(Wire) w = agent_open (&f, "edge-1", 0);

      send_reports (w, 10, NULL, ids);
      read_acks (w, 10, &a);
    }
  g_test_message ("120 stalled handshakes; meanwhile 5 agent connections stored %u reports in %.2f s",
                  a.n[WS_ACK_STORED], (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 50);
  {
    g_autoptr(GHashTable) stored = stored_ids (f.db);

    assert_same_ids (stored, ids);
  }
  g_ptr_array_set_size (stalled, 0);
  outcome_free (stop_collector (&f));
  acks_clear (&a);
  fixture_clear (&f);
}

/* The abusers of /collector/abuse: each loops until told to stop, and
 * says when its first answer came, so that the well-behaved agent is
 * measured while every abuse is going on. */
typedef struct {
  Fixture *f;
  gint stop;
  GMutex lock;
  GCond cond;
  guint started;
  /* the flood (edge-1) */
  Acks flood;
  gint64 flood_us;
  /* the garbage (edge-3): what it was told, and the ids it named */
  Acks garbage;
  GPtrArray *garbage_ids;
  /* the oversized reports (relay-1, one connection each) */
  guint oversized;
  guint oversized_refused;
} Abuse;

static void
abuse_started (Abuse *ab)
{
  g_mutex_lock (&ab->lock);
  ab->started++;
  g_cond_broadcast (&ab->cond);
  g_mutex_unlock (&ab->lock);
}

static gpointer
abuse_flood (gpointer data)
{
  Abuse *ab = data;
  g_autoptr(Wire) w = agent_open (ab->f, "edge-1", 0);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  gint64 start = g_get_monotonic_time ();
  gboolean told = FALSE;

  while (!g_atomic_int_get (&ab->stop))
    {
      send_reports (w, w->accept.window, NULL, ids);
      read_acks (w, w->accept.window, &ab->flood);
      if (!told && ab->flood.n[WS_ACK_RETRY] > 0)
        {
          told = TRUE;
          abuse_started (ab);
        }
    }
  ab->flood_us = g_get_monotonic_time () - start;
  return NULL;
}

/* Not JSON, another agent's name, no result: in turn, in bursts of 30. */
static gpointer
abuse_garbage (gpointer data)
{
  Abuse *ab = data;
  g_autoptr(Wire) w = agent_open (ab->f, "edge-3", 0);

  for (guint round = 0; !g_atomic_int_get (&ab->stop); round++)
    {
      for (guint i = 0; i < 10; i++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *uuid = g_uuid_string_random ();
          g_autofree char *no_result = g_strdup_printf ("{\"id\": \"%s\", \"agent\": null}", uuid);

          send_reports (w, 1, "edge-2", ab->garbage_ids);
          g_assert_true (wire_send_report (w, "{\"id\": \"0b9b6a4e-5c1f-", &error));
          g_assert_true (wire_send_report (w, no_result, &error));
          g_ptr_array_add (ab->garbage_ids, g_steal_pointer (&uuid));
        }
      read_acks (w, 30, &ab->garbage);
      if (round == 0)
        abuse_started (ab);
    }
  return NULL;
}

static gpointer
abuse_oversized (gpointer data)
{
  Abuse *ab = data;
  g_autofree char *big = g_strnfill (5000, ' ');

  while (!g_atomic_int_get (&ab->stop))
    {
      g_autoptr(Wire) w = agent_open (ab->f, "relay-1", 0);
      g_autoptr(GError) error = NULL;
      g_autofree guint8 *payload = NULL;
      WsFrameHeader header;
      WsErrorMessage msg;

      g_assert_true (wire_send_frame (w, WS_FRAME_REPORT, big, 5000, &error));
      g_assert_true (wire_read_frame (w, &header, &payload, &error));
      g_assert_cmpint (header.type, ==, WS_FRAME_ERROR);
      g_assert_true (ws_frame_error_decode (payload, header.length, &msg, &error));
      if (msg.code == WS_PROTOCOL_ERROR_BAD_MESSAGE)
        ab->oversized_refused++;
      if (ab->oversized++ == 0)
        abuse_started (ab);
    }
  return NULL;
}

/* One report at a time from edge-2, ten a second (the pace only spreads
 * them over the abuse), the time to each ACK into @ms. */
static void
calm_reports (Fixture    *f,
              guint       n,
              GPtrArray  *ids,
              Acks       *a,
              GArray     *ms)
{
  g_autoptr(Wire) w = agent_open (f, "edge-2", 0);
  gint64 next = g_get_monotonic_time ();

  for (guint i = 0; i < n; i++, next += G_USEC_PER_SEC / 10)
    {
      gint64 start = g_get_monotonic_time ();
      double took;

      if (next > start)
        {
          g_usleep (next - start);
          start = g_get_monotonic_time ();
        }

      send_reports (w, 1, NULL, ids);
      read_acks (w, 1, a);
      took = (g_get_monotonic_time () - start) / 1e3;
      g_array_append_val (ms, took);
    }
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
describe_ms (GArray     *ms,
             const char *what)
{
  g_array_sort (ms, cmp_double);
  g_test_message ("%s: %u reports, ACK after %.1f ms median, %.1f ms max", what, ms->len,
                  g_array_index (ms, double, ms->len / 2), g_array_index (ms, double, ms->len - 1));
}

/* Everything hostile at once: 120 stalled handshakes, a flood, a stream
 * of garbage and oversized reports on fresh connections, while another
 * agent reports one at a time. Its reports are all stored, and the
 * abusers' garbage nowhere; its ACK times before and during are the
 * figures in MONITORING.md (not asserted: they are the machine's). */
static void
test_abuse (void)
{
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) before = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) during = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  static const guint8 hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
  g_autoptr(GHashTable) stored = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autofree char *counts = NULL;
  GThread *threads[3];
  Abuse ab = { 0 };
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, "--collect-rate", "5", "--max-report-size", "4K", "--idle-timeout", "120", NULL);
  acks_init (&a);
  calm_reports (&f, 10, ids, &a, before);

  ab.f = &f;
  g_mutex_init (&ab.lock);
  g_cond_init (&ab.cond);
  acks_init (&ab.flood);
  acks_init (&ab.garbage);
  ab.garbage_ids = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < 120; i++)
    {
      g_autoptr(GError) error = NULL;
      GSocketConnection *c = g_socket_client_connect_to_host (client, "127.0.0.1", f.port, NULL, &error);

      g_assert_no_error (error);
      if (i < 100)
        g_assert_cmpint (g_socket_send (g_socket_connection_get_socket (c), (const char *) hello_start,
                                        sizeof hello_start, NULL, NULL), ==, sizeof hello_start);
      g_ptr_array_add (stalled, c);
    }
  threads[0] = g_thread_new ("flood", abuse_flood, &ab);
  threads[1] = g_thread_new ("garbage", abuse_garbage, &ab);
  threads[2] = g_thread_new ("oversized", abuse_oversized, &ab);
  g_mutex_lock (&ab.lock);
  while (ab.started < G_N_ELEMENTS (threads))
    g_cond_wait (&ab.cond, &ab.lock);
  g_mutex_unlock (&ab.lock);

  calm_reports (&f, 30, ids, &a, during);
  g_atomic_int_set (&ab.stop, 1);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  describe_ms (before, "edge-2 alone");
  describe_ms (during, "edge-2 during the abuse");
  g_test_message ("meanwhile: 120 stalled handshakes; flood %u stored, %u told to retry in %.2f s; "
                  "garbage %u rejected; %u oversized reports refused",
                  ab.flood.n[WS_ACK_STORED], ab.flood.n[WS_ACK_RETRY], ab.flood_us / 1e6,
                  ab.garbage.n[WS_ACK_REJECTED], ab.oversized_refused);
  g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 40);
  g_assert_cmpuint (ab.garbage.n[WS_ACK_REJECTED], ==, ab.garbage_ids->len / 2 * 3);
  g_assert_cmpuint (ab.garbage.n[WS_ACK_STORED], ==, 0);
  g_assert_cmpuint (ab.oversized_refused, ==, ab.oversized);
  g_assert_cmpuint (ab.flood.n[WS_ACK_RETRY], >, 0);
  g_assert_cmpfloat (ab.flood.n[WS_ACK_STORED], <=, 75 + 5 * (ab.flood_us / 1e6) + 1);

  /* The store holds edge-2's and what the flood's bucket let in, by id. */
  stored = stored_ids (f.db);
  g_assert_cmpuint (g_hash_table_size (stored), ==, 40 + ab.flood.n[WS_ACK_STORED]);
  for (guint i = 0; i < ids->len; i++)
    g_assert_true (g_hash_table_contains (stored, ids->pdata[i]));
  for (guint i = 0; i < ab.garbage_ids->len; i++)
    g_assert_false (g_hash_table_contains (stored, ab.garbage_ids->pdata[i]));
  g_ptr_array_set_size (stalled, 0);
  o = stop_collector (&f);
  counts = g_strdup_printf ("Reports: %u stored, 0 duplicate, %u rejected",
                            40 + ab.flood.n[WS_ACK_STORED], ab.garbage.n[WS_ACK_REJECTED]);
  assert_contains (o->out, counts);
  g_ptr_array_unref (ab.garbage_ids);
  g_mutex_clear (&ab.lock);
  g_cond_clear (&ab.cond);
  acks_clear (&ab.flood);
  acks_clear (&ab.garbage);
  acks_clear (&a);
  fixture_clear (&f);
}

/* `wirespeed --client` with a key against @port: exit 0. */
static void
assert_test_runs (guint       port,
                  Fixture    *f)
{
  g_autofree char *port_s = g_strdup_printf ("%u", port);
  g_autofree char *key_file = write_private (f->dir, "edge-3.key", "edge-3:secret-3\n");
  const char *args[] = { "--client", "--target", "127.0.0.1", "--port", port_s, "--time", "1",
                         "--no-latency", "--tls-fingerprint", f->fingerprint, "--auth-key-file", key_file,
                         NULL };
  g_autoptr(Proc) p = proc_spawnv (args);
  g_autoptr(Outcome) o = proc_finish (p, 60000);

  g_assert_cmpint (o->status, ==, 0);
  assert_contains (o->out, "receiver");
}

/* A collector is a test server too, and report connections take no test
 * slot: with --max-clients 1 and three agents connected, a test runs. The
 * same test against a server without --collect. */
static void
test_tests_still_run (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) agents = g_ptr_array_new_with_free_func ((GDestroyNotify) wire_free);
  g_autoptr(Proc) plain = NULL;
  guint port;
  Fixture f;
  Acks a;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, "--max-clients", "1", NULL);
  acks_init (&a);
  for (guint i = 0; i < 3; i++)
    {
      Wire *w = agent_open (&f, i == 0 ? "edge-1" : "edge-2", 0);

      send_reports (w, 1, NULL, ids);
      read_acks (w, 1, &a);
      g_ptr_array_add (agents, w);
    }
  assert_test_runs (f.port, &f);
  /* And the agents' connections are still served. */
  for (guint i = 0; i < agents->len; i++)
    {
      send_reports (agents->pdata[i], 1, NULL, ids);
      read_acks (agents->pdata[i], 1, &a);
    }
  g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 6);
  g_ptr_array_set_size (agents, 0);
  outcome_free (stop_collector (&f));

  plain = spawn_server (&port, "--tls-cert", f.cert, "--tls-key", f.key, "--auth-file", f.keys, NULL);
  assert_test_runs (port, &f);
  acks_clear (&a);
  fixture_clear (&f);
}

/* A command line that cannot collect: one line, exit 1, at once. */
static void
test_cli_refusals (void)
{
  g_autofree char *db = NULL;
  g_autofree char *not_db = NULL;
  Fixture f;

  fixture_init (&f, BACKEND_SQLITE);
  db = g_build_filename (f.dir, "x.db", NULL);
  not_db = write_private (f.dir, "not-a-db", "this is not SQLite\n");
  {
    const char *args[] = { "--server", "--port", "0", "--collect", db, NULL };
    g_autoptr(Proc) p = proc_spawnv (args);
    g_autoptr(Outcome) o = proc_finish (p, 10000);
    g_auto(GStrv) lines = split_lines (o->err);

    g_assert_cmpint (o->status, ==, 1);
    g_assert_cmpuint (g_strv_length (lines), ==, 1);
    assert_contains (o->err, "--collect needs --tls-cert, --tls-key and --auth-file");
    g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  }
  {
    const char *args[] = { "--server", "--port", "0", "--tls-cert", f.cert, "--tls-key", f.key,
                           "--auth-file", f.keys, "--collect", not_db, NULL };
    g_autoptr(Proc) p = proc_spawnv (args);
    g_autoptr(Outcome) o = proc_finish (p, 10000);
    g_auto(GStrv) lines = split_lines (o->err);

    g_assert_cmpint (o->status, ==, 1);
    g_assert_cmpuint (g_strv_length (lines), ==, 1);
    assert_contains (o->err, "wirespeed: --collect: ");
    g_assert_null (strstr (o->out, "listening"));
  }
  fixture_clear (&f);
}

/* ------------------------------------------------------------------ */
/* In process: a store whose commits the test holds back and breaks    */

#define TEST_TYPE_GATE_STORE (test_gate_store_get_type ())
G_DECLARE_FINAL_TYPE (TestGateStore, test_gate_store, TEST, GATE_STORE, GObject)

struct _TestGateStore {
  GObject parent_instance;
  WsStore *inner;
  GMutex lock;
  GCond cond;
  gboolean closed;   /* add_many waits */
  gboolean broken;   /* add_many fails */
  char *poison;      /* add_many of a batch with this id fails */
  GArray *batches;   /* guint: the size of each add_many */
};

static void test_gate_store_iface_init (WsStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestGateStore, test_gate_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_STORE, test_gate_store_iface_init))

static void
test_gate_store_finalize (GObject *object)
{
  TestGateStore *self = TEST_GATE_STORE (object);

  g_clear_object (&self->inner);
  g_free (self->poison);
  g_array_unref (self->batches);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (test_gate_store_parent_class)->finalize (object);
}

static void
test_gate_store_class_init (TestGateStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_gate_store_finalize;
}

static void
test_gate_store_init (TestGateStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->batches = g_array_new (FALSE, FALSE, sizeof (guint));
}

static gboolean
gate_add_many (WsStore          *store,
               WsReport *const  *reports,
               guint             n,
               WsStoreOutcome   *outcomes,
               GError          **error)
{
  TestGateStore *self = TEST_GATE_STORE (store);
  gboolean fail;

  g_mutex_lock (&self->lock);
  g_array_append_val (self->batches, n);
  g_cond_broadcast (&self->cond);
  while (self->closed)
    g_cond_wait (&self->cond, &self->lock);
  fail = self->broken;
  for (guint i = 0; i < n && self->poison != NULL; i++)
    fail = fail || g_str_equal (reports[i]->id, self->poison);
  g_mutex_unlock (&self->lock);
  if (fail)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED, "the test broke the store");
      return FALSE;
    }
  return ws_store_add_many (self->inner, reports, n, outcomes, error);
}

static gint64
gate_prune (WsStore *store, GDateTime *before, GError **error)
{
  return ws_store_prune (TEST_GATE_STORE (store)->inner, before, error);
}

static gint64
gate_count (WsStore *store, GError **error)
{
  return ws_store_count (TEST_GATE_STORE (store)->inner, error);
}

static gboolean
gate_lookup (WsStore *store, const char *id, WsReportFigures *figures, char **json, GError **error)
{
  return ws_store_lookup (TEST_GATE_STORE (store)->inner, id, figures, json, error);
}

static GPtrArray *
gate_list_ids (WsStore *store, GError **error)
{
  return ws_store_list_ids (TEST_GATE_STORE (store)->inner, error);
}

static void
test_gate_store_iface_init (WsStoreInterface *iface)
{
  iface->add_many = gate_add_many;
  iface->prune = gate_prune;
  iface->count = gate_count;
  iface->lookup = gate_lookup;
  iface->list_ids = gate_list_ids;
}

static void
gate_set (TestGateStore *self,
          gboolean       closed,
          gboolean       broken,
          const char    *poison)
{
  g_mutex_lock (&self->lock);
  self->closed = closed;
  self->broken = broken;
  g_free (self->poison);
  self->poison = g_strdup (poison);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Until @n add_many calls have begun; fails after 30 s. */
static void
gate_wait_batches (TestGateStore *self,
                   guint          n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_mutex_lock (&self->lock);
  while (self->batches->len < n)
    g_assert_true (g_cond_wait_until (&self->cond, &self->lock, deadline));
  g_mutex_unlock (&self->lock);
}

typedef struct {
  Fixture f;
  TestGateStore *gate;
  WsCollector *collector;
  WsServer *server;
} InProcess;

static void
in_process_init (InProcess *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(WsAuth) auth = ws_auth_new_from_data (KEYS, "test", &error);

  fixture_init (&p->f, BACKEND_SQLITE);
  p->gate = g_object_new (TEST_TYPE_GATE_STORE, NULL);
  p->gate->inner = ws_store_open (p->f.db, &error);
  g_assert_no_error (error);
  p->collector = ws_collector_new (WS_STORE (p->gate));
  ws_collector_set_rate (p->collector, 0);
  g_assert_true (ws_collector_start (p->collector, &error));
  cert = g_tls_certificate_new_from_files (p->f.cert, p->f.key, &error);
  g_assert_no_error (error);
  p->server = ws_server_new ();
  ws_server_set_port (p->server, 0);
  ws_server_set_tls (p->server, cert, FALSE);
  ws_server_set_auth (p->server, auth);
  ws_server_set_report_sink (p->server, WS_REPORT_SINK (p->collector));
  g_assert_true (ws_server_start (p->server, &error));
  g_assert_no_error (error);
  p->f.port = ws_server_get_port (p->server);
}

static void
in_process_clear (InProcess *p)
{
  ws_server_stop (p->server);
  ws_collector_stop (p->collector);
  g_assert_finalize_object (p->server);
  g_assert_finalize_object (p->collector);
  g_assert_finalize_object (p->gate);
  fixture_clear (&p->f);
}

/* Until the collector holds @n reports for its writer; fails after 30 s. */
static void
wait_queued (WsCollector *collector,
             guint        n)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  WsCollectorStats stats;

  for (;;)
    {
      ws_collector_get_stats (collector, &stats);
      if (stats.queued >= n)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (5000);
    }
  g_assert_cmpuint (stats.queued, ==, n);
}

/* Group commit: what every connection queued while a commit ran goes
 * into the next transaction together, WS_COLLECTOR_BATCH_MAX at most. */
static void
test_group_commit (void)
{
  g_autoptr(GPtrArray) agents = g_ptr_array_new_with_free_func ((GDestroyNotify) wire_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) stored = NULL;
  WsCollectorStats stats;
  InProcess p;
  Acks a;

  in_process_init (&p);
  acks_init (&a);
  gate_set (p.gate, TRUE, FALSE, NULL);
  for (guint i = 0; i < 11; i++)
    g_ptr_array_add (agents, agent_open (&p.f, i % 2 ? "edge-1" : "edge-2", 0));
  /* One report, its commit held; then 10 × 32 from the others behind it
   * (a connection waits for its own commit before it reads on). */
  send_reports (agents->pdata[0], 1, NULL, ids);
  gate_wait_batches (p.gate, 1);
  for (guint i = 1; i < agents->len; i++)
    send_reports (agents->pdata[i], 32, NULL, ids);
  wait_queued (p.collector, 320);
  gate_set (p.gate, FALSE, FALSE, NULL);
  for (guint i = 0; i < agents->len; i++)
    read_acks (agents->pdata[i], i == 0 ? 1 : 32, &a);
  g_assert_cmpuint (a.n[WS_ACK_STORED], ==, 321);
  g_assert_cmpuint (p.gate->batches->len, ==, 3);
  g_assert_cmpuint (g_array_index (p.gate->batches, guint, 0), ==, 1);
  g_assert_cmpuint (g_array_index (p.gate->batches, guint, 1), ==, WS_COLLECTOR_BATCH_MAX);
  g_assert_cmpuint (g_array_index (p.gate->batches, guint, 2), ==, 320 - WS_COLLECTOR_BATCH_MAX);
  ws_collector_get_stats (p.collector, &stats);
  g_assert_cmpuint (stats.commits, ==, 3);
  g_assert_cmpuint (stats.stored, ==, 321);
  g_assert_cmpuint (stats.connections, ==, 11);
  ws_collector_get_agent_stats (p.collector, "edge-1", &stats);
  g_assert_cmpuint (stats.stored, ==, 5 * 32);
  stored = stored_ids (p.f.db);
  assert_same_ids (stored, ids);
  g_ptr_array_set_size (agents, 0);
  acks_clear (&a);
  in_process_clear (&p);
}

/* A store that fails: RETRY with the store's words, never STORED; one
 * report that fails its batch costs only itself. */
static void
test_store_failure (void)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) later = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) stored = NULL;
  g_autoptr(Wire) w = NULL;
  g_autoptr(Wire) holder = NULL;
  guint n_before;
  InProcess p;
  Acks a, b;

  in_process_init (&p);
  acks_init (&a);
  acks_init (&b);
  w = agent_open (&p.f, "edge-1", 0);
  /* Down: everything is to retry. */
  gate_set (p.gate, FALSE, TRUE, NULL);
  send_reports (w, 5, NULL, later);
  read_acks (w, 5, &a);
  g_assert_cmpuint (a.n[WS_ACK_RETRY], ==, 5);
  g_assert_cmpuint (a.retry_after_s, ==, 10);
  g_assert_cmpstr (a.text, ==, "The collector's store failed: the test broke the store");
  g_assert_cmpuint (g_hash_table_size (stored = stored_ids (p.f.db)), ==, 0);
  g_clear_pointer (&stored, g_hash_table_unref);
  /* One poisoned report among ten queued behind another agent's held
   * commit: one transaction for the ten, which fails. */
  gate_set (p.gate, TRUE, FALSE, NULL);
  holder = agent_open (&p.f, "edge-2", 0);
  n_before = p.gate->batches->len;
  send_reports (holder, 1, NULL, ids);
  gate_wait_batches (p.gate, n_before + 1);
  send_reports (w, 10, NULL, ids);
  wait_queued (p.collector, 10);
  gate_set (p.gate, FALSE, FALSE, ids->pdata[5]);
  read_acks (holder, 1, &b);
  read_acks (w, 10, &b);
  g_assert_cmpuint (b.n[WS_ACK_STORED], ==, 10);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (b.ids, ids->pdata[5])), ==, WS_ACK_RETRY);
  /* The held one, the batch of ten, then the ten one by one. */
  g_assert_cmpuint (p.gate->batches->len, ==, n_before + 1 + 1 + 10);
  /* Resent when the store is well: nothing was lost. */
  gate_set (p.gate, FALSE, FALSE, NULL);
  g_ptr_array_remove_index (ids, 5);
  {
    g_autoptr(GError) error = NULL;

    for (guint i = 0; i < later->len; i++)
      {
        WsResult *result = wire_speed_result ("target.example", 1764000000);
        g_autoptr(WsReport) r = ws_report_new (later->pdata[i], NULL, result);
        g_autofree char *json = NULL;

        ws_result_unref (result);
        json = ws_report_to_json (r);
        g_assert_true (wire_send_report (w, json, &error));
        g_ptr_array_add (ids, g_strdup (later->pdata[i]));
      }
  }
  read_acks (w, later->len, &b);
  g_assert_cmpuint (b.n[WS_ACK_STORED], ==, 15);
  stored = stored_ids (p.f.db);
  assert_same_ids (stored, ids);
  g_clear_pointer (&w, wire_free);
  g_clear_pointer (&holder, wire_free);
  acks_clear (&a);
  acks_clear (&b);
  in_process_clear (&p);
}

/* The README's monitoring set-up: the real agent's quick form, testing the
 * collector it reports to. That test takes the collector's TLS flags (the
 * same server, the same certificate) and its key; without them the
 * collector would refuse it (it requires TLS) and the stored report would
 * be a failure. */
static void
test_agent_tests_its_collector (void)
{
  g_autofree char *port_s = NULL;
  g_autofree char *collect_to = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *spool = NULL;
  g_autofree char *json = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  WsReportFigures figures;
  Fixture f;

  fixture_init (&f, BACKEND_SQLITE);
  start_collector (&f, NULL);
  port_s = g_strdup_printf ("%u", f.port);
  collect_to = g_strdup_printf ("127.0.0.1:%u", f.port);
  key_file = write_private (f.dir, "edge-1.key", "edge-1:secret-1\n");
  spool = g_build_filename (f.dir, "spool.db", NULL);
  {
    const char *args[] = { "--agent", "--collect-to", collect_to, "--tls-fingerprint", f.fingerprint,
                           "--auth-key-file", key_file, "--target", "127.0.0.1", "--port", port_s,
                           "--test", "TCP_RR", "--time", "1", "--every", "5m", "--once",
                           "--spool", spool, NULL };
    g_autoptr(Proc) p = proc_spawnv (args);
    g_autoptr(Outcome) o = proc_finish (p, 60000);

    if (o->status != 0)
      g_error ("the agent exited %d: %s", o->status, o->err);
  }
  store = ws_store_open (f.db, &error);
  g_assert_no_error (error);
  ids = ws_store_list_ids (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_true (ws_store_lookup (store, g_ptr_array_index (ids, 0), &figures, &json, &error));
  g_assert_no_error (error);
  if (figures.failed)
    g_error ("the agent's test of its collector failed: %s", json);
  g_assert_cmpint (figures.mode, ==, WS_TEST_TCP_RR);
  g_assert_cmpfloat (figures.numbers[WS_REPORT_RR_P50_MS], >, 0);
  outcome_free (stop_collector (&f));
  fixture_clear (&f);
}

int
main (int    argc,
      char **argv)
{
  static const struct {
    const char *name;
    GTestDataFunc func;
  } both[] = {
    { "store-duplicate", test_store_duplicate },
    { "rejected", test_rejected },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  start_pg ();
  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      g_autofree char *sqlite = g_strdup_printf ("/collector/sqlite/%s", both[i].name);
      g_autofree char *pg_path = g_strdup_printf ("/collector/pg/%s", both[i].name);

      g_test_add_data_func (sqlite, GINT_TO_POINTER (BACKEND_SQLITE), both[i].func);
      g_test_add_data_func (pg_path, GINT_TO_POINTER (BACKEND_PG), both[i].func);
    }
  g_test_add_func ("/collector/oversized", test_oversized);
  g_test_add_func ("/collector/flood", test_flood);
  g_test_add_func ("/collector/refusals", test_refusals);
  g_test_add_func ("/collector/retain", test_retain);
  g_test_add_func ("/collector/relay", test_relay);
  g_test_add_func ("/collector/config", test_config);
  g_test_add_func ("/collector/slow-handshake", test_slow_handshake);
  g_test_add_func ("/collector/abuse", test_abuse);
  g_test_add_func ("/collector/tests-still-run", test_tests_still_run);
  g_test_add_func ("/collector/cli-refusals", test_cli_refusals);
  g_test_add_func ("/collector/group-commit", test_group_commit);
  g_test_add_func ("/collector/store-failure", test_store_failure);
  g_test_add_func ("/collector/agent-tests-its-collector", test_agent_tests_its_collector);
  status = g_test_run ();
  stop_pg ();
  return status;
}

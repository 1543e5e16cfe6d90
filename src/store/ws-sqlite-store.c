/* ws-sqlite-store.c — agents' reports in one SQLite file (the default)
 *
 * WAL, so that readers (an analysis, sqlite3 at a shell) never block the
 * collector, and synchronous=FULL, so that a committed report survives a
 * power cut as well as a kill -9: the agent deletes its copy on the ack.
 * Times are µs since the epoch, UTC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>

#include "ws-store-private.h"

#define WS_TYPE_SQLITE_STORE (ws_sqlite_store_get_type ())
G_DECLARE_FINAL_TYPE (WsSqliteStore, ws_sqlite_store, WS, SQLITE_STORE, GObject)

struct _WsSqliteStore {
  GObject parent_instance;

  GMutex lock;     /* the connection and its statements */
  sqlite3 *db;
  char *path;
  sqlite3_stmt *insert;
  sqlite3_stmt *lookup;
  gboolean readonly;   /* opened for reading: no statements, no writes */
};

static void ws_sqlite_store_iface_init (WsStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsSqliteStore, ws_sqlite_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_STORE, ws_sqlite_store_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Each step from the previous version; a new file runs them all, so the
 * first layout is created the way an old file was. */
static const char *const migrations[WS_STORE_SCHEMA_VERSION] = {
  /* 0 → 1 */
  "CREATE TABLE schema_version (version INTEGER NOT NULL);"
  "INSERT INTO schema_version VALUES (0);"
  "CREATE TABLE reports ("
  "  id TEXT PRIMARY KEY,"
  "  received_at INTEGER NOT NULL,"
  "  agent TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  port INTEGER NOT NULL,"
  "  test TEXT NOT NULL,"
  "  start_time INTEGER NOT NULL,"
  "  download_bps REAL,"
  "  upload_bps REAL,"
  "  idle_latency_p50_ms REAL,"
  "  loaded_latency_p50_ms REAL,"
  "  latency_p50_ms REAL,"
  "  loss_percent REAL,"
  "  failed INTEGER NOT NULL,"
  "  json TEXT NOT NULL);"
  "CREATE INDEX reports_by_start_time ON reports (start_time);"
  "CREATE INDEX reports_by_agent ON reports (agent, start_time);",
  /* 1 → 2: the context, the tail percentiles, the error */
  "ALTER TABLE reports ADD COLUMN local_address TEXT;"
  "ALTER TABLE reports ADD COLUMN seen_address TEXT;"
  "ALTER TABLE reports ADD COLUMN server_tests INTEGER;"
  "ALTER TABLE reports ADD COLUMN error TEXT;"
  "ALTER TABLE reports ADD COLUMN idle_latency_p90_ms REAL;"
  "ALTER TABLE reports ADD COLUMN idle_latency_p99_ms REAL;"
  "ALTER TABLE reports ADD COLUMN loaded_latency_p90_ms REAL;"
  "ALTER TABLE reports ADD COLUMN loaded_latency_p99_ms REAL;"
  "ALTER TABLE reports ADD COLUMN latency_p90_ms REAL;"
  "ALTER TABLE reports ADD COLUMN latency_p99_ms REAL;"
  "CREATE INDEX reports_by_target ON reports (target, test, start_time);",
  /* 2 → 3: what an analysis reads, so that it reads no JSON and groups
   * by path without sorting (docs/MONITORING.md, "Analysis") */
  "CREATE INDEX reports_for_analysis ON reports (agent, target, test, start_time, failed,"
  " download_bps, upload_bps, idle_latency_p50_ms, loaded_latency_p50_ms, loss_percent);",
};

static void
ws_sqlite_store_finalize (GObject *object)
{
  WsSqliteStore *self = WS_SQLITE_STORE (object);

  sqlite3_finalize (self->insert);
  sqlite3_finalize (self->lookup);
  sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ws_sqlite_store_parent_class)->finalize (object);
}

static void
ws_sqlite_store_class_init (WsSqliteStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_sqlite_store_finalize;
}

static void
ws_sqlite_store_init (WsSqliteStore *self)
{
  g_mutex_init (&self->lock);
}

static gboolean
set_error (WsSqliteStore  *self,
           GError        **error)
{
  int rc = sqlite3_errcode (self->db);
  GIOErrorEnum code = G_IO_ERROR_FAILED;

  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
    code = G_IO_ERROR_INVALID_DATA;
  else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    code = G_IO_ERROR_BUSY;
  else if (rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_CANTOPEN)
    code = G_IO_ERROR_PERMISSION_DENIED;
  else if (rc == SQLITE_FULL)
    code = G_IO_ERROR_NO_SPACE;
  /* Translators: a file name or a URI, then the database's reason, in English. */
  g_set_error (error, G_IO_ERROR, code, _("Store “%s”: %s"), self->path,
               sqlite3_errmsg (self->db));
  return FALSE;
}

/* A store opened for reading has no statements for these. */
static gboolean
check_writable (WsSqliteStore  *self,
                GError        **error)
{
  if (!self->readonly)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_READ_ONLY,
               _("Store “%s” is open for reading only"), self->path);
  return FALSE;
}

static gboolean
exec (WsSqliteStore  *self,
      const char     *sql,
      GError        **error)
{
  return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK || set_error (self, error);
}

/* Keeps the first error, then rolls back. */
static gboolean
rollback (WsSqliteStore  *self,
          GError        **error)
{
  if (error != NULL && *error == NULL)
    set_error (self, error);
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* -1 and @error when the database cannot be read; 0 when it is empty. */
static gint64
read_version (WsSqliteStore  *self,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 version = 0;
  int rc;

  if (sqlite3_prepare_v2 (self->db, "SELECT count(*) FROM sqlite_master", -1, &stmt, NULL) != SQLITE_OK
      || sqlite3_step (stmt) != SQLITE_ROW)
    return set_error (self, error), -1;
  if (sqlite3_column_int64 (stmt, 0) == 0)
    return 0;
  g_clear_pointer (&stmt, sqlite3_finalize);
  rc = sqlite3_prepare_v2 (self->db, "SELECT max(version) FROM schema_version", -1, &stmt, NULL);
  if (rc == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int64 (stmt, 0);
  if (version < 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Store “%s”: a database, but not Wirespeed’s"), self->path);
      return -1;
    }
  return version;
}

/* Under one write transaction, so that two collectors opening one new
 * file do not both create it. */
static gboolean
migrate (WsSqliteStore  *self,
         GError        **error)
{
  g_autofree char *set_version = NULL;
  gint64 version;

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  version = read_version (self, error);
  if (version < 0)
    return rollback (self, error);
  if (version > WS_STORE_SCHEMA_VERSION)
    {
      ws_store_set_newer_error (error, self->path, version);
      return rollback (self, error);
    }
  for (gint64 v = version; v < WS_STORE_SCHEMA_VERSION; v++)
    if (!exec (self, migrations[v], error))
      return rollback (self, error);
  set_version = g_strdup_printf ("UPDATE schema_version SET version = %d", WS_STORE_SCHEMA_VERSION);
  if (!exec (self, set_version, error) || !exec (self, "COMMIT", error))
    return rollback (self, error);
  return TRUE;
}

static gboolean
prepare (WsSqliteStore  *self,
         GError        **error)
{
  g_autofree char *insert = ws_store_insert_sql ("%s");
  g_autofree char *lookup = ws_store_lookup_sql ("start_time", "failed");

  if (sqlite3_prepare_v3 (self->db, insert, -1, SQLITE_PREPARE_PERSISTENT, &self->insert, NULL) != SQLITE_OK
      || sqlite3_prepare_v3 (self->db, lookup, -1, SQLITE_PREPARE_PERSISTENT, &self->lookup, NULL) != SQLITE_OK)
    return set_error (self, error);
  return TRUE;
}

/* Opens the store at @path, making the file and its folder if need be. */
WsStore *
ws_sqlite_store_open (const char  *path,
                      GError     **error)
{
  g_autoptr(WsSqliteStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  if (!_ws_store_make_parent_dir (path, error))
    return NULL;
  self = g_object_new (WS_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                       | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_error (self, error);
      return NULL;
    }
  /* Other collectors, the retention and readers share the file; a wait
   * this long means something holds it, not that it is busy. */
  sqlite3_busy_timeout (self->db, 10000);
  /* WAL once the file is known to be ours: the journal mode stays with
   * the file, and someone else's database is left as it was. */
  if (!exec (self, "PRAGMA synchronous = FULL", error) || !migrate (self, error)
      || !exec (self, "PRAGMA journal_mode = WAL", error) || !prepare (self, error))
    return NULL;
  return WS_STORE (g_steal_pointer (&self));
}

static void
bind_text (sqlite3_stmt *stmt,
           int           column,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_text (stmt, column, text, -1, SQLITE_STATIC);
}

static void
bind_row (sqlite3_stmt     *stmt,
          const WsStoreRow *row,
          gint64            now)
{
  const WsReport *report = row->report;

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  bind_text (stmt, WS_STORE_P_ID, row->id);
  sqlite3_bind_int64 (stmt, WS_STORE_P_RECEIVED_AT, now);
  bind_text (stmt, WS_STORE_P_AGENT, report->agent);
  bind_text (stmt, WS_STORE_P_TARGET, report->result->target);
  sqlite3_bind_int (stmt, WS_STORE_P_PORT, report->result->port);
  bind_text (stmt, WS_STORE_P_TEST, ws_test_mode_to_string (row->figures.mode));
  sqlite3_bind_int64 (stmt, WS_STORE_P_START_TIME, row->figures.start_time_us);
  sqlite3_bind_int (stmt, WS_STORE_P_FAILED, row->figures.failed != FALSE);
  bind_text (stmt, WS_STORE_P_JSON, row->json);
  bind_text (stmt, WS_STORE_P_LOCAL_ADDRESS, report->local_address);
  bind_text (stmt, WS_STORE_P_SEEN_ADDRESS, report->seen_address);
  if (report->server_tests >= 0)
    sqlite3_bind_int (stmt, WS_STORE_P_SERVER_TESTS, report->server_tests);
  bind_text (stmt, WS_STORE_P_ERROR, report->error);
  for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
    if (!isnan (row->figures.numbers[i]))
      sqlite3_bind_double (stmt, WS_STORE_P_NUMBERS + i, row->figures.numbers[i]);
}

static gboolean
insert_rows (WsSqliteStore     *self,
             const WsStoreRow  *rows,
             guint              n_rows,
             WsStoreOutcome    *outcomes,
             GError           **error)
{
  gint64 now = g_get_real_time ();

  /* IMMEDIATE: the write lock now, or a wait in the busy handler; a
   * deferred transaction could not get it later without failing. */
  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (guint i = 0; i < n_rows; i++)
    {
      bind_row (self->insert, &rows[i], now);
      if (sqlite3_step (self->insert) != SQLITE_DONE)
        return rollback (self, error);
      outcomes[i] = sqlite3_changes (self->db) > 0 ? WS_STORE_NEW : WS_STORE_DUPLICATE;
    }
  sqlite3_reset (self->insert);
  if (!exec (self, "COMMIT", error))
    return rollback (self, error);
  return TRUE;
}

static gboolean
ws_sqlite_store_add_many (WsStore          *store,
                          WsReport *const  *reports,
                          guint             n_reports,
                          WsStoreOutcome   *outcomes,
                          GError          **error)
{
  WsSqliteStore *self = WS_SQLITE_STORE (store);
  g_autofree WsStoreRow *rows = NULL;
  gboolean ok = TRUE;
  guint n_rows = 0;

  if (!check_writable (self, error))
    return FALSE;
  rows = g_new0 (WsStoreRow, n_reports);
  for (; n_rows < n_reports && ok; n_rows++)
    ok = ws_store_row_init (&rows[n_rows], reports[n_rows], error);
  if (ok)
    {
      g_mutex_lock (&self->lock);
      ok = insert_rows (self, rows, n_reports, outcomes, error);
      g_mutex_unlock (&self->lock);
    }
  for (guint i = 0; i < n_rows; i++)
    ws_store_row_clear (&rows[i]);
  return ok;
}

static gint64
prune_locked (WsSqliteStore  *self,
              gint64          before_us,
              GError        **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 total = 0;
  int changes;

  if (sqlite3_prepare_v2 (self->db, "DELETE FROM reports WHERE rowid IN (SELECT rowid FROM reports"
                          " WHERE start_time < $1 LIMIT $2)", -1, &stmt, NULL) != SQLITE_OK)
    return set_error (self, error), -1;
  sqlite3_bind_int64 (stmt, 1, before_us);
  sqlite3_bind_int (stmt, 2, WS_STORE_PRUNE_BATCH);
  do
    {
      sqlite3_reset (stmt);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return set_error (self, error), -1;
      changes = sqlite3_changes (self->db);
      total += changes;
    }
  while (changes == WS_STORE_PRUNE_BATCH);
  return total;
}

/* In batches, each its own transaction, with the lock let go between
 * them: an ingest waits for one batch, not for the whole retention. */
static gint64
ws_sqlite_store_prune (WsStore    *store,
                       GDateTime  *before,
                       GError    **error)
{
  WsSqliteStore *self = WS_SQLITE_STORE (store);
  gint64 before_us = g_date_time_to_unix (before) * G_USEC_PER_SEC
                     + g_date_time_get_microsecond (before);
  gint64 n;

  if (!check_writable (self, error))
    return -1;
  g_mutex_lock (&self->lock);
  n = prune_locked (self, before_us, error);
  g_mutex_unlock (&self->lock);
  return n;
}

static gint64
ws_sqlite_store_count (WsStore  *store,
                       GError  **error)
{
  WsSqliteStore *self = WS_SQLITE_STORE (store);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n = -1;

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, "SELECT count(*) FROM reports", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    set_error (self, error);
  g_mutex_unlock (&self->lock);
  return n;
}

static gboolean
read_lookup (WsSqliteStore    *self,
             WsReportFigures  *figures,
             char            **json,
             GError          **error)
{
  sqlite3_stmt *stmt = self->lookup;

  if (figures != NULL)
    {
      if (!ws_store_read_figures (figures, (const char *) sqlite3_column_text (stmt, 1),
                                  sqlite3_column_int64 (stmt, 0),
                                  sqlite3_column_int (stmt, 2) != 0, error))
        return FALSE;
      for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
        figures->numbers[i] = sqlite3_column_type (stmt, 3 + i) == SQLITE_NULL
                              ? NAN : sqlite3_column_double (stmt, 3 + i);
    }
  if (json != NULL)
    *json = g_strdup ((const char *) sqlite3_column_text (stmt, 3 + WS_REPORT_N_NUMBERS));
  return TRUE;
}

static gboolean
ws_sqlite_store_lookup (WsStore          *store,
                        const char       *id,
                        WsReportFigures  *figures,
                        char            **json,
                        GError          **error)
{
  WsSqliteStore *self = WS_SQLITE_STORE (store);
  gboolean found = FALSE;
  int rc;

  if (!check_writable (self, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  sqlite3_reset (self->lookup);
  sqlite3_bind_text (self->lookup, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (self->lookup);
  if (rc == SQLITE_ROW)
    found = read_lookup (self, figures, json, error);
  else if (rc != SQLITE_DONE)
    set_error (self, error);
  sqlite3_reset (self->lookup);
  sqlite3_clear_bindings (self->lookup);
  g_mutex_unlock (&self->lock);
  return found;
}

static GPtrArray *
ws_sqlite_store_list_ids (WsStore  *store,
                          GError  **error)
{
  WsSqliteStore *self = WS_SQLITE_STORE (store);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc = SQLITE_ERROR;

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, "SELECT id FROM reports", -1, &stmt, NULL) == SQLITE_OK)
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      set_error (self, error);
      g_clear_pointer (&ids, g_ptr_array_unref);
    }
  g_mutex_unlock (&self->lock);
  return g_steal_pointer (&ids);
}

/* On a connection of its own: queries of an analysis run side by side
 * and never wait for the writers' lock (WAL: readers do not block). */
static WsStoreRows *
ws_sqlite_store_query (WsStore           *store,
                       const char        *sql,
                       const char *const *params,
                       guint              n_params,
                       GError           **error)
{
  return _ws_sqlite_query (WS_SQLITE_STORE (store)->path, sql, params, n_params, error);
}

/* A store's file or the app's history (*@is_history), opened for
 * analysis: it must exist, nothing is created or migrated, and every
 * query reads on a connection of its own. */
WsStore *
ws_sqlite_store_open_readonly (const char  *path,
                               gboolean    *is_history,
                               GError     **error)
{
  g_autoptr(WsSqliteStore) self = NULL;
  gint64 version;

  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (WS_TYPE_SQLITE_STORE, NULL);
  self->path = g_strdup (path);
  self->readonly = TRUE;
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_error (self, error);
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 10000);
  *is_history = _ws_sqlite_is_history (self->db);
  if (*is_history)
    return WS_STORE (g_steal_pointer (&self));
  version = read_version (self, error);
  if (version < 0)
    return NULL;
  if (version == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("Store “%s”: a database, but not Wirespeed’s"), self->path);
      return NULL;
    }
  if (version > WS_STORE_SCHEMA_VERSION)
    {
      ws_store_set_newer_error (error, self->path, version);
      return NULL;
    }
  return WS_STORE (g_steal_pointer (&self));
}

static WsStoreDialect
ws_sqlite_store_get_dialect (WsStore *store)
{
  return WS_STORE_DIALECT_SQLITE;
}

static void
ws_sqlite_store_iface_init (WsStoreInterface *iface)
{
  iface->get_dialect = ws_sqlite_store_get_dialect;
  iface->query = ws_sqlite_store_query;
  iface->add_many = ws_sqlite_store_add_many;
  iface->prune = ws_sqlite_store_prune;
  iface->count = ws_sqlite_store_count;
  iface->lookup = ws_sqlite_store_lookup;
  iface->list_ids = ws_sqlite_store_list_ids;
}

/* ws-history.c — the results of past tests, kept in SQLite
 *
 * One table. Each row holds the result's JSON, which is the record, and
 * beside it the numbers the list and the CSV export show, taken from that
 * JSON's summary when the row is written: so the list never parses a
 * result, and what it shows is what the result says.
 *
 * The mode and direction columns hold the protocol's numbers, which never
 * change. Rates are bit/s, times milliseconds; NULL where a number was not
 * measured.
 *
 * Any thread may call in: one lock around the connection makes each call
 * whole, so the window can do all of it on workers (ws-history-async.c)
 * and its main loop never waits for the disk.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "ws-history-private.h"
#include "ws-store-private.h"

#define SCHEMA_VERSION 1

G_DEFINE_FINAL_TYPE (WsHistory, ws_history, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (WsHistoryEntry, ws_history_entry,
                     ws_history_entry_copy, ws_history_entry_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* json is last: a row's first page then holds everything the list reads,
 * and the blob's overflow pages are never touched. */
static const char schema_sql[] =
  "BEGIN;"
  "CREATE TABLE results ("
  "  id INTEGER PRIMARY KEY,"
  "  start_time INTEGER NOT NULL,"      /* unix time, µs */
  "  target TEXT NOT NULL,"
  "  port INTEGER NOT NULL,"
  "  mode INTEGER NOT NULL,"            /* WsTestMode */
  "  direction INTEGER NOT NULL,"       /* WsDirection */
  "  streams INTEGER NOT NULL,"
  "  duration_s INTEGER NOT NULL,"
  "  elapsed_s REAL NOT NULL,"
  "  upload_bps REAL,"
  "  download_bps REAL,"
  "  latency_ms REAL,"                  /* RR, else loaded, else idle */
  "  rpm REAL,"
  "  interrupted INTEGER NOT NULL,"
  "  retransmits INTEGER,"
  "  loss_percent REAL,"
  "  jitter_ms REAL,"
  "  idle_latency_ms REAL,"
  "  loaded_latency_ms REAL,"
  "  transactions_per_s REAL,"
  "  json TEXT NOT NULL"
  ");"
  "CREATE INDEX results_by_start_time ON results (start_time);"
  "PRAGMA user_version = 1;"
  "COMMIT;";

static void
ws_history_finalize (GObject *object)
{
  WsHistory *self = WS_HISTORY (object);

  sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->writes_lock);
  g_cond_clear (&self->writes_done);
  G_OBJECT_CLASS (ws_history_parent_class)->finalize (object);
}

static void
ws_history_class_init (WsHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_history_finalize;

  /* After a result was added or removed: a list is out of date. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                                   G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                   G_TYPE_NONE, 0);
}

static void
ws_history_init (WsHistory *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->writes_lock);
  g_cond_init (&self->writes_done);
}

void
_ws_history_emit_changed (WsHistory *self)
{
  g_signal_emit (self, signals[CHANGED], 0);
}

/* A write is counted from when it is queued, so that a flush also waits
 * for one that no worker has taken up yet. */
void
_ws_history_begin_write (WsHistory *self)
{
  g_mutex_lock (&self->writes_lock);
  self->writes++;
  g_mutex_unlock (&self->writes_lock);
}

void
_ws_history_end_write (WsHistory *self)
{
  g_mutex_lock (&self->writes_lock);
  g_assert (self->writes > 0);
  if (--self->writes == 0)
    g_cond_broadcast (&self->writes_done);
  g_mutex_unlock (&self->writes_lock);
}

/**
 * ws_history_flush:
 *
 * Waits until every write queued with the async calls is on disk (or has
 * failed): what the app does before it exits, so that no result is lost.
 */
void
ws_history_flush (WsHistory *self)
{
  g_return_if_fail (WS_IS_HISTORY (self));
  g_mutex_lock (&self->writes_lock);
  while (self->writes > 0)
    g_cond_wait (&self->writes_done, &self->writes_lock);
  g_mutex_unlock (&self->writes_lock);
}

WsHistoryEntry *
ws_history_entry_copy (const WsHistoryEntry *entry)
{
  WsHistoryEntry *copy = g_memdup2 (entry, sizeof *entry);

  copy->start_time = entry->start_time ? g_date_time_ref (entry->start_time) : NULL;
  copy->target = g_strdup (entry->target);
  return copy;
}

void
ws_history_entry_free (WsHistoryEntry *entry)
{
  if (entry == NULL)
    return;
  g_clear_pointer (&entry->start_time, g_date_time_unref);
  g_free (entry->target);
  g_free (entry);
}

gboolean
_ws_history_sqlite_error (WsHistory  *self,
                          int         rc,
                          GError    **error)
{
  GIOErrorEnum code;

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      code = G_IO_ERROR_INVALID_DATA;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = G_IO_ERROR_BUSY;
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      code = G_IO_ERROR_PERMISSION_DENIED;
      break;
    case SQLITE_FULL:
      code = G_IO_ERROR_NO_SPACE;
      break;
    default:
      code = G_IO_ERROR_FAILED;
    }
  /* Translators: a file name, then SQLite's reason, in English. */
  g_set_error (error, G_IO_ERROR, code, _("History “%s”: %s"),
               self->path, sqlite3_errmsg (self->db));
  return FALSE;
}

sqlite3_stmt *
_ws_history_prepare (WsHistory   *self,
                     const char  *sql,
                     GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      _ws_history_sqlite_error (self, rc, error);
      return NULL;
    }
  return stmt;
}

/* Runs a statement that returns no rows. */
static gboolean
step_done (WsHistory     *self,
           sqlite3_stmt  *stmt,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  return rc == SQLITE_DONE || _ws_history_sqlite_error (self, rc, error);
}

/* The first column of a query's one row. */
static gboolean
query_int (WsHistory   *self,
           const char  *sql,
           gint64      *value,
           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = _ws_history_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    return _ws_history_sqlite_error (self, rc, error);
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
create_schema (WsHistory  *self,
               GError    **error)
{
  int rc = sqlite3_exec (self->db, schema_sql, NULL, NULL, NULL);

  if (rc == SQLITE_OK)
    return TRUE;
  _ws_history_sqlite_error (self, rc, error);
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* A new file gets the schema; a database of something else, or of a newer
 * Wirespeed, is left as it is. */
static gboolean
check_schema (WsHistory  *self,
              GError    **error)
{
  gint64 version, n_objects;

  if (!query_int (self, "PRAGMA user_version", &version, error))
    return FALSE;
  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   /* Translators: a file name, then two format numbers. */
                   _("History “%s” was written by a newer version of Wirespeed "
                     "(format %lld; this version reads format %d)"),
                   self->path, (long long) version, SCHEMA_VERSION);
      return FALSE;
    }
  if (version == SCHEMA_VERSION)
    return TRUE;
  if (!query_int (self, "SELECT count(*) FROM sqlite_master", &n_objects, error))
    return FALSE;
  if (version != 0 || n_objects != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   _("History “%s”: a database, but not Wirespeed’s"), self->path);
      return FALSE;
    }
  return create_schema (self, error);
}

char *
ws_history_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "wirespeed", "history.db", NULL);
}

/* Opens the history at @path, making it and its folders if need be. */
WsHistory *
ws_history_open (const char  *path,
                 GError     **error)
{
  g_autoptr(WsHistory) self = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!_ws_store_make_parent_dir (path, error))
    return NULL;
  self = g_object_new (WS_TYPE_HISTORY, NULL);
  self->path = g_strdup (path);
  rc = sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  if (rc != SQLITE_OK)
    {
      _ws_history_sqlite_error (self, rc, error);
      return NULL;
    }
  /* The window and a command-line run may write at the same moment. */
  sqlite3_busy_timeout (self->db, 2000);
  if (!check_schema (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static gint64
unix_usec (GDateTime *time)
{
  return g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time);
}

static void
bind_number (sqlite3_stmt *stmt,
             int           column,
             gdouble       value)
{
  if (isnan (value))
    sqlite3_bind_null (stmt, column);
  else
    sqlite3_bind_double (stmt, column, value);
}

static void
bind_header (sqlite3_stmt *stmt,
             WsResult     *r)
{
  sqlite3_bind_int64 (stmt, 1, r->start_time ? unix_usec (r->start_time) : g_get_real_time ());
  sqlite3_bind_text (stmt, 2, r->target ? r->target : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, r->port);
  sqlite3_bind_int (stmt, 4, r->mode);
  sqlite3_bind_int (stmt, 5, r->direction);
  sqlite3_bind_int64 (stmt, 6, r->streams);
  sqlite3_bind_int64 (stmt, 7, r->duration_s);
  sqlite3_bind_double (stmt, 8, r->elapsed_s);
  sqlite3_bind_int (stmt, 9, r->interrupted != FALSE);
}

/* The numbers as the summary writes them, so that the list agrees with
 * the result to the last bit. */
static void
bind_summary (sqlite3_stmt *stmt,
              WsTestMode    mode,
              JsonObject   *summary)
{
  gdouble idle = ws_json_median (summary, "idle_latency_ms");
  gdouble loaded = ws_json_median (summary, "loaded_latency_ms");
  gdouble latency = ws_json_median (summary, "latency_ms");
  gboolean tcp_load = mode == WS_TEST_TCP_STREAM || mode == WS_TEST_SPEED;

  bind_number (stmt, 10, ws_json_number (summary, "upload_bps"));
  bind_number (stmt, 11, ws_json_number (summary, "download_bps"));
  bind_number (stmt, 12, !isnan (latency) ? latency : !isnan (loaded) ? loaded : idle);
  bind_number (stmt, 13, ws_json_number (summary, "rpm"));
  bind_number (stmt, 14, tcp_load ? ws_json_number (summary, "retransmits") : NAN);
  bind_number (stmt, 15, ws_json_number (summary, "loss_percent"));
  bind_number (stmt, 16, ws_json_number (summary, "jitter_ms"));
  bind_number (stmt, 17, idle);
  bind_number (stmt, 18, loaded);
  bind_number (stmt, 19, ws_json_number (summary, "transactions_per_s"));
}

/* Returns the new result's id, or 0 and @error; says nothing ("changed"
 * is the caller's to emit, on its own thread). */
gint64
_ws_history_add (WsHistory  *self,
                 WsResult   *result,
                 GError    **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(JsonNode) root = NULL;

  stmt = _ws_history_prepare (self,
                              "INSERT INTO results (start_time, target, port, mode, direction,"
                              " streams, duration_s, elapsed_s, interrupted, upload_bps,"
                              " download_bps, latency_ms, rpm, retransmits, loss_percent,"
                              " jitter_ms, idle_latency_ms, loaded_latency_ms,"
                              " transactions_per_s, json)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
                              " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)", error);
  if (stmt == NULL)
    return 0;
  root = ws_result_to_json (result);
  bind_header (stmt, result);
  bind_summary (stmt, result->mode,
                json_object_get_object_member (json_node_get_object (root), "summary"));
  sqlite3_bind_text (stmt, 20, json_to_string (root, FALSE), -1, g_free);
  if (!step_done (self, stmt, error))
    return 0;
  return sqlite3_last_insert_rowid (self->db);
}

/* Returns the new result's id, or 0 and @error. */
gint64
ws_history_add (WsHistory  *self,
                WsResult   *result,
                GError    **error)
{
  gint64 id;

  g_return_val_if_fail (WS_IS_HISTORY (self), 0);
  g_return_val_if_fail (result != NULL, 0);

  id = _ws_history_add (self, result, error);
  if (id > 0)
    _ws_history_emit_changed (self);
  return id;
}

GDateTime *
_ws_history_date_time (gint64 usec)
{
  g_autoptr(GDateTime) epoch = g_date_time_new_from_unix_utc (0);
  g_autoptr(GDateTime) utc = g_date_time_add (epoch, usec);

  /* Out of GDateTime's range only in a damaged file. */
  return utc != NULL ? g_date_time_to_local (utc) : g_date_time_to_local (epoch);
}

static gdouble
column_number (sqlite3_stmt *stmt,
               int           column)
{
  return sqlite3_column_type (stmt, column) == SQLITE_NULL
         ? NAN : sqlite3_column_double (stmt, column);
}

static WsHistoryEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  WsHistoryEntry *e = g_new0 (WsHistoryEntry, 1);
  const char *target = (const char *) sqlite3_column_text (stmt, 2);

  e->id = sqlite3_column_int64 (stmt, 0);
  e->start_time = _ws_history_date_time (sqlite3_column_int64 (stmt, 1));
  e->target = g_strdup (target ? target : "");
  e->port = sqlite3_column_int (stmt, 3);
  e->mode = sqlite3_column_int (stmt, 4);
  e->direction = sqlite3_column_int (stmt, 5);
  e->streams = sqlite3_column_int64 (stmt, 6);
  e->duration_s = sqlite3_column_int64 (stmt, 7);
  e->elapsed_s = sqlite3_column_double (stmt, 8);
  e->interrupted = sqlite3_column_int (stmt, 9) != 0;
  e->upload_bps = column_number (stmt, 10);
  e->download_bps = column_number (stmt, 11);
  e->latency_ms = column_number (stmt, 12);
  e->rpm = sqlite3_column_double (stmt, 13);
  return e;
}

/* Newest first. */
GPtrArray *
ws_history_list (WsHistory  *self,
                 GError    **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  int rc;

  g_return_val_if_fail (WS_IS_HISTORY (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  stmt = _ws_history_prepare (self,
                              "SELECT id, start_time, target, port, mode, direction, streams,"
                              " duration_s, elapsed_s, interrupted, upload_bps, download_bps,"
                              " latency_ms, rpm FROM results ORDER BY start_time DESC, id DESC",
                              error);
  if (stmt == NULL)
    return NULL;
  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_history_entry_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      _ws_history_sqlite_error (self, rc, error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}

/* The stored JSON of result @id, parsed. */
JsonNode *
_ws_history_load_json (WsHistory  *self,
                       gint64      id,
                       GError    **error)
{
  g_autoptr(sqlite3_stmt) stmt = _ws_history_prepare (self, "SELECT json FROM results WHERE id = ?1", error);
  const char *json;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No result %lld in the history"), (long long) id);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      _ws_history_sqlite_error (self, rc, error);
      return NULL;
    }
  json = (const char *) sqlite3_column_text (stmt, 0);
  return ws_result_json_parse (json ? json : "", error);
}

WsResult *
ws_history_get (WsHistory  *self,
                gint64      id,
                GError    **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (WS_IS_HISTORY (self), NULL);

  /* Only reading the row needs the connection; parsing it may take long. */
  g_mutex_lock (&self->lock);
  root = _ws_history_load_json (self, id, error);
  g_mutex_unlock (&self->lock);
  return root != NULL ? ws_result_new_from_json (root, error) : NULL;
}

/* Removing a result that is not there is G_IO_ERROR_NOT_FOUND. */
gboolean
_ws_history_delete (WsHistory  *self,
                    gint64      id,
                    GError    **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  stmt = _ws_history_prepare (self, "DELETE FROM results WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   _("No result %lld in the history"), (long long) id);
      return FALSE;
    }
  return TRUE;
}

gboolean
ws_history_delete (WsHistory  *self,
                   gint64      id,
                   GError    **error)
{
  g_return_val_if_fail (WS_IS_HISTORY (self), FALSE);

  if (!_ws_history_delete (self, id, error))
    return FALSE;
  _ws_history_emit_changed (self);
  return TRUE;
}

gboolean
_ws_history_clear (WsHistory  *self,
                   GError    **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = _ws_history_prepare (self, "DELETE FROM results", error);

  return stmt != NULL && step_done (self, stmt, error);
}

gboolean
ws_history_clear (WsHistory  *self,
                  GError    **error)
{
  g_return_val_if_fail (WS_IS_HISTORY (self), FALSE);

  if (!_ws_history_clear (self, error))
    return FALSE;
  _ws_history_emit_changed (self);
  return TRUE;
}

/* The history's results as the report stores' columns, for an analysis
 * (ws-analysis.c) to read with the same queries: the test by name, the
 * medians as p50, nothing failed (the app keeps only finished tests), and
 * @agent for all, since the history is one machine's. */
char *
ws_history_analysis_source (const char *agent)
{
  static const WsTestMode modes[] = { WS_TEST_TCP_STREAM, WS_TEST_TCP_RR, WS_TEST_UDP_STREAM,
                                      WS_TEST_UDP_RR, WS_TEST_SPEED, WS_TEST_HTTP };
  GString *sql = g_string_new ("(SELECT ");
  char *quoted = sqlite3_mprintf ("%Q", agent);

  g_string_append_printf (sql, "%s AS agent, target, port, CASE mode", quoted);
  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    g_string_append_printf (sql, " WHEN %d THEN '%s'", modes[i], ws_test_mode_to_string (modes[i]));
  g_string_append (sql, " END AS test, start_time, 0 AS failed, download_bps, upload_bps,"
                   " idle_latency_ms AS idle_latency_p50_ms,"
                   " loaded_latency_ms AS loaded_latency_p50_ms, loss_percent FROM results)");
  sqlite3_free (quoted);
  return g_string_free (g_steal_pointer (&sql), FALSE);
}

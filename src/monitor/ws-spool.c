/* ws-spool.c — an agent's reports on disk until a collector has them
 *
 * Every finished result is written here, committed, before it is sent, and
 * leaves only when a collector answered for it: a kill -9 or a power cut
 * between the two costs a resend (the collector's duplicate check makes
 * that harmless), never a result. SQLite in WAL mode with
 * synchronous=FULL, as the collector's store.
 *
 * The queue is ordered by `seq`, an AUTOINCREMENT key, so that removing the
 * newest row never lets a later add take its place in the order. At the
 * cap the oldest rows go; how many went, and how many a collector
 * rejected, are counted in `meta` for as long as the file lives.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <errno.h>
#include <sqlite3.h>

#include "ws-spool.h"

#define SPOOL_VERSION 1

struct _WsSpool {
  GObject parent_instance;

  GMutex lock;    /* the connection, the count */
  sqlite3 *db;
  char *path;
  guint max_reports;
  guint count;
};

G_DEFINE_FINAL_TYPE (WsSpool, ws_spool, G_TYPE_OBJECT)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static const char *const counter_keys[WS_SPOOL_N_COUNTERS] = { "dropped", "rejected" };

static const char schema[] =
  "CREATE TABLE IF NOT EXISTS reports ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  id TEXT NOT NULL UNIQUE,"
  "  added_at INTEGER NOT NULL,"
  "  json TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);"
  "INSERT OR IGNORE INTO meta VALUES ('version', 1), ('dropped', 0), ('rejected', 0);";

static void
ws_spool_finalize (GObject *object)
{
  WsSpool *self = WS_SPOOL (object);

  sqlite3_close_v2 (self->db);
  g_free (self->path);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (ws_spool_parent_class)->finalize (object);
}

static void
ws_spool_class_init (WsSpoolClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_spool_finalize;
}

static void
ws_spool_init (WsSpool *self)
{
  g_mutex_init (&self->lock);
}

void
ws_spool_entry_free (WsSpoolEntry *entry)
{
  g_free (entry->id);
  g_free (entry->json);
  g_free (entry);
}

static gboolean
fail (WsSpool  *self,
      GError  **error)
{
  if (error != NULL && *error == NULL)
    /* Translators: a file name, then SQLite's reason, in English. */
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Spool “%s”: %s"), self->path,
                 sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
run_sql (WsSpool     *self,
         const char  *sql,
         GError     **error)
{
  return sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK || fail (self, error);
}

/* Keeps the first error. */
static gboolean
abort_transaction (WsSpool  *self,
                   GError  **error)
{
  fail (self, error);
  sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

static gint64
query_int (WsSpool    *self,
           const char *sql,
           const char *key)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    return -1;
  if (key != NULL)
    sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : -1;
}

static gboolean
bump_counter (WsSpool         *self,
              WsSpoolCounter   counter,
              gint64           n,
              GError         **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "UPDATE meta SET value = value + ?1 WHERE key = ?2", -1,
                          &stmt, NULL) != SQLITE_OK)
    return fail (self, error);
  sqlite3_bind_int64 (stmt, 1, n);
  sqlite3_bind_text (stmt, 2, counter_keys[counter], -1, SQLITE_STATIC);
  return sqlite3_step (stmt) == SQLITE_DONE || fail (self, error);
}

/* Inside a transaction: drops the oldest rows over the cap, counting them. */
static gboolean
enforce_cap (WsSpool  *self,
             guint    *dropped,
             GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 over = (gint64) self->count - self->max_reports;

  *dropped = 0;
  if (over <= 0)
    return TRUE;
  if (sqlite3_prepare_v2 (self->db, "DELETE FROM reports WHERE seq IN "
                          "(SELECT seq FROM reports ORDER BY seq LIMIT ?1)", -1,
                          &stmt, NULL) != SQLITE_OK)
    return fail (self, error);
  sqlite3_bind_int64 (stmt, 1, over);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  *dropped = sqlite3_changes (self->db);
  self->count -= *dropped;
  return bump_counter (self, WS_SPOOL_DROPPED, *dropped, error);
}

static gboolean
make_parent_dir (const char  *path,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int saved_errno;

  if (g_mkdir_with_parents (dir, 0700) == 0)
    return TRUE;
  saved_errno = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               /* Translators: a folder, then the system's reason. */
               _("Cannot create the spool’s folder “%s”: %s"), dir, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
check_version (WsSpool  *self,
               GError  **error)
{
  gint64 version = query_int (self, "SELECT value FROM meta WHERE key = 'version'", NULL);

  if (version == SPOOL_VERSION)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               _("Spool “%s” is not a spool of this version of Wirespeed"), self->path);
  return FALSE;
}

/* The cap may have shrunk since the file was written. */
static gboolean
setup (WsSpool  *self,
       GError  **error)
{
  guint dropped;

  if (!run_sql (self, "PRAGMA synchronous = FULL", error)
      || !run_sql (self, "PRAGMA journal_mode = WAL", error)
      || !run_sql (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  if (!run_sql (self, schema, error) || !check_version (self, error))
    return abort_transaction (self, error);
  self->count = query_int (self, "SELECT count(*) FROM reports", NULL);
  if (!enforce_cap (self, &dropped, error) || !run_sql (self, "COMMIT", error))
    return abort_transaction (self, error);
  if (dropped > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE, "Spool “%s”: dropped the oldest %u report, over the cap of %u",
                            "Spool “%s”: dropped the oldest %u reports, over the cap of %u", dropped),
               self->path, dropped, self->max_reports);
  return TRUE;
}

/**
 * ws_spool_default_path:
 *
 * Where the spool lives when nobody says: the service's state folder that
 * systemd made ($STATE_DIRECTORY, the first of them), or the user's
 * ($XDG_STATE_HOME/wirespeed).
 */
char *
ws_spool_default_path (void)
{
  const char *state = g_getenv ("STATE_DIRECTORY");

  if (state != NULL && *state != '\0')
    {
      g_auto(GStrv) dirs = g_strsplit (state, ":", 2);

      return g_build_filename (dirs[0], "spool.db", NULL);
    }
  return g_build_filename (g_get_user_state_dir (), "wirespeed", "spool.db", NULL);
}

/* Opens the spool at @path, making the file and its folder if need be. */
WsSpool *
ws_spool_open (const char  *path,
               guint        max_reports,
               GError     **error)
{
  g_autoptr(WsSpool) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (max_reports > 0, NULL);

  if (!make_parent_dir (path, error))
    return NULL;
  self = g_object_new (WS_TYPE_SPOOL, NULL);
  self->path = g_strdup (path);
  self->max_reports = max_reports;
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                       | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      fail (self, error);
      return NULL;
    }
  /* A second agent on the same file waits rather than failing at once. */
  sqlite3_busy_timeout (self->db, 10000);
  if (!setup (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
ws_spool_get_path (WsSpool *self)
{
  g_return_val_if_fail (WS_IS_SPOOL (self), NULL);
  return self->path;
}

static gboolean
insert (WsSpool     *self,
        const char  *id,
        const char  *json,
        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "INSERT INTO reports (id, added_at, json) VALUES (?1, ?2, ?3)",
                          -1, &stmt, NULL) != SQLITE_OK)
    return fail (self, error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  self->count++;
  return TRUE;
}

/**
 * ws_spool_add:
 * @dropped: (out) (optional): how many of the oldest reports this add
 *   pushed out over the cap
 *
 * Returns once the report is committed to disk.
 */
gboolean
ws_spool_add (WsSpool     *self,
              const char  *id,
              const char  *json,
              guint       *dropped,
              GError     **error)
{
  guint n_dropped = 0;
  guint count;
  gboolean ok;

  g_return_val_if_fail (WS_IS_SPOOL (self), FALSE);
  g_return_val_if_fail (id != NULL && json != NULL, FALSE);

  g_mutex_lock (&self->lock);
  count = self->count;
  ok = run_sql (self, "BEGIN IMMEDIATE", error);
  if (ok && !(insert (self, id, json, error) && enforce_cap (self, &n_dropped, error)
              && run_sql (self, "COMMIT", error)))
    {
      ok = abort_transaction (self, error);
      self->count = count;
      n_dropped = 0;
    }
  g_mutex_unlock (&self->lock);
  if (dropped != NULL)
    *dropped = n_dropped;
  return ok;
}

/* A relay's add: an id already spooled is not added again (@added
 * FALSE), as a relay answers it DUPLICATE. */
static gboolean
insert_new (WsSpool     *self,
            const char  *id,
            const char  *json,
            gboolean    *added,
            GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "INSERT OR IGNORE INTO reports (id, added_at, json) "
                          "VALUES (?1, ?2, ?3)", -1, &stmt, NULL) != SQLITE_OK)
    return fail (self, error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time ());
  sqlite3_bind_text (stmt, 3, json, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  *added = sqlite3_changes (self->db) > 0;
  if (*added)
    self->count++;
  return TRUE;
}

/**
 * ws_spool_add_many:
 * @added: (out): for each report, whether it is new to the spool
 * @dropped: (out) (optional): as for ws_spool_add()
 *
 * One transaction for the lot: returns once all of it is committed to
 * disk, or with nothing of it added.
 */
gboolean
ws_spool_add_many (WsSpool            *self,
                   const char * const *ids,
                   const char * const *jsons,
                   guint               n,
                   gboolean           *added,
                   guint              *dropped,
                   GError            **error)
{
  guint n_dropped = 0;
  guint count;
  gboolean ok;

  g_return_val_if_fail (WS_IS_SPOOL (self), FALSE);
  g_return_val_if_fail (ids != NULL && jsons != NULL && added != NULL, FALSE);

  g_mutex_lock (&self->lock);
  count = self->count;
  ok = run_sql (self, "BEGIN IMMEDIATE", error);
  for (guint i = 0; ok && i < n; i++)
    ok = insert_new (self, ids[i], jsons[i], &added[i], error);
  ok = ok && enforce_cap (self, &n_dropped, error) && run_sql (self, "COMMIT", error);
  if (!ok)
    {
      abort_transaction (self, error);
      self->count = count;
      n_dropped = 0;
    }
  g_mutex_unlock (&self->lock);
  if (dropped != NULL)
    *dropped = n_dropped;
  return ok;
}

static WsSpoolEntry *
entry_from_row (sqlite3_stmt *stmt)
{
  WsSpoolEntry *entry = g_new0 (WsSpoolEntry, 1);

  entry->seq = sqlite3_column_int64 (stmt, 0);
  entry->id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  entry->json = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  return entry;
}

/**
 * ws_spool_next:
 * @after_seq: 0 for the oldest, else the seq of the last one taken
 *
 * Returns: (transfer full) (element-type WsSpoolEntry): up to @limit
 *   reports after @after_seq, oldest first; NULL on error.
 */
GPtrArray *
ws_spool_next (WsSpool  *self,
               gint64    after_seq,
               guint     limit,
               GError  **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_spool_entry_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok = TRUE;
  int rc;

  g_return_val_if_fail (WS_IS_SPOOL (self), NULL);

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, "SELECT seq, id, json FROM reports WHERE seq > ?1 "
                          "ORDER BY seq LIMIT ?2", -1, &stmt, NULL) != SQLITE_OK)
    ok = fail (self, error);
  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, after_seq);
      sqlite3_bind_int64 (stmt, 2, limit);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (entries, entry_from_row (stmt));
      if (rc != SQLITE_DONE)
        ok = fail (self, error);
    }
  g_mutex_unlock (&self->lock);
  return ok ? g_steal_pointer (&entries) : NULL;
}

static gboolean
delete_id (WsSpool     *self,
           const char  *id,
           gboolean    *deleted,
           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, "DELETE FROM reports WHERE id = ?1", -1, &stmt, NULL) != SQLITE_OK)
    return fail (self, error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return fail (self, error);
  *deleted = sqlite3_changes (self->db) > 0;
  return TRUE;
}

/**
 * ws_spool_remove:
 * @rejected: the collector refused it: count it
 *
 * Forgets the report with @id, which a collector answered for. An id that
 * is not here (dropped at the cap meanwhile, or answered twice) is no
 * error and counts nothing.
 */
gboolean
ws_spool_remove (WsSpool     *self,
                 const char  *id,
                 gboolean     rejected,
                 GError     **error)
{
  gboolean deleted = FALSE;
  gboolean ok;

  g_return_val_if_fail (WS_IS_SPOOL (self), FALSE);

  g_mutex_lock (&self->lock);
  ok = run_sql (self, "BEGIN IMMEDIATE", error);
  if (ok && !(delete_id (self, id, &deleted, error)
              && (!deleted || !rejected || bump_counter (self, WS_SPOOL_REJECTED, 1, error))
              && run_sql (self, "COMMIT", error)))
    ok = abort_transaction (self, error);
  if (ok && deleted)
    self->count--;
  g_mutex_unlock (&self->lock);
  return ok;
}

guint
ws_spool_get_count (WsSpool *self)
{
  guint count;

  g_return_val_if_fail (WS_IS_SPOOL (self), 0);

  g_mutex_lock (&self->lock);
  count = self->count;
  g_mutex_unlock (&self->lock);
  return count;
}

guint64
ws_spool_get_counter (WsSpool        *self,
                      WsSpoolCounter  counter)
{
  gint64 value;

  g_return_val_if_fail (WS_IS_SPOOL (self), 0);
  g_return_val_if_fail (counter < WS_SPOOL_N_COUNTERS, 0);

  g_mutex_lock (&self->lock);
  value = query_int (self, "SELECT value FROM meta WHERE key = ?1", counter_keys[counter]);
  g_mutex_unlock (&self->lock);
  return MAX (value, 0);
}

/* Text the agent keeps beside its reports, e.g. the central configuration
 * it last received; NULL when there is none. */
char *
ws_spool_get_text (WsSpool    *self,
                   const char *key)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char *text = NULL;

  g_return_val_if_fail (WS_IS_SPOOL (self), NULL);

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, "SELECT value FROM meta WHERE key = ?1", -1, &stmt, NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
        text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
    }
  g_mutex_unlock (&self->lock);
  return text;
}

/* @text NULL forgets @key. */
gboolean
ws_spool_set_text (WsSpool     *self,
                   const char  *key,
                   const char  *text,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean ok;

  g_return_val_if_fail (WS_IS_SPOOL (self), FALSE);

  g_mutex_lock (&self->lock);
  ok = sqlite3_prepare_v2 (self->db, text ? "INSERT OR REPLACE INTO meta VALUES (?1, ?2)"
                                          : "DELETE FROM meta WHERE key = ?1",
                           -1, &stmt, NULL) == SQLITE_OK || fail (self, error);
  if (ok)
    {
      sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
      if (text != NULL)
        sqlite3_bind_text (stmt, 2, text, -1, SQLITE_STATIC);
      ok = sqlite3_step (stmt) == SQLITE_DONE || fail (self, error);
    }
  g_mutex_unlock (&self->lock);
  return ok;
}

/* ws-sqlite-query.c — one query of an analysis on an SQLite file
 *
 * Each query opens a read-only connection of its own: several run at once
 * on their own threads, and none waits for a collector's writes (WAL lets
 * readers through). Sorting stays in memory: an analysis sorts the rows
 * of its period once per section, and temporary files would cost more
 * than the memory.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <sqlite3.h>
#include <string.h>

#include "ws-store-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

static WsStoreRows *
query_error (sqlite3     *db,
             const char  *path,
             GError     **error)
{
  /* Translators: a file name, then the database's reason, in English. */
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Store “%s”: %s"), path,
               db ? sqlite3_errmsg (db) : "out of memory");
  return NULL;
}

/* $1… by name: SQLite numbers named parameters by first appearance. */
static gboolean
bind_params (sqlite3_stmt      *stmt,
             const char *const *params,
             guint              n_params)
{
  for (guint i = 0; i < n_params; i++)
    {
      char name[16];
      int index;

      g_snprintf (name, sizeof name, "$%u", i + 1);
      index = sqlite3_bind_parameter_index (stmt, name);
      if (index > 0 && sqlite3_bind_text (stmt, index, params[i], -1, SQLITE_STATIC) != SQLITE_OK)
        return FALSE;
    }
  return TRUE;
}

static void
add_row (WsStoreRows  *rows,
         sqlite3_stmt *stmt)
{
  guint n = ws_store_rows_get_n_columns (rows);

  _ws_store_rows_add_row (rows);
  for (guint c = 0; c < n; c++)
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];

      switch (sqlite3_column_type (stmt, c))
        {
        case SQLITE_NULL:
          break;
        case SQLITE_FLOAT:
          _ws_store_rows_set (rows, c, g_ascii_dtostr (buf, sizeof buf, sqlite3_column_double (stmt, c)),
                              sqlite3_column_double (stmt, c));
          break;
        default:
          _ws_store_rows_set (rows, c, (const char *) sqlite3_column_text (stmt, c),
                              sqlite3_column_double (stmt, c));
        }
    }
}

static gboolean
open_for_query (const char  *path,
                sqlite3    **db)
{
  if (sqlite3_open_v2 (path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_busy_timeout (*db, 10000);
  return _ws_sqlite_register_percentile (*db) == SQLITE_OK
         && sqlite3_exec (*db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) == SQLITE_OK;
}

WsStoreRows *
_ws_sqlite_query (const char        *path,
                  const char        *sql,
                  const char *const *params,
                  guint              n_params,
                  GError           **error)
{
  sqlite3 *db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(WsStoreRows) rows = NULL;
  int rc;

  if (!open_for_query (path, &db)
      || sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK
      || !bind_params (stmt, params, n_params))
    {
      query_error (db, path, error);
      g_clear_pointer (&stmt, sqlite3_finalize);
      sqlite3_close_v2 (db);
      return NULL;
    }
  rows = _ws_store_rows_new (sqlite3_column_count (stmt));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    add_row (rows, stmt);
  if (rc != SQLITE_DONE)
    {
      query_error (db, path, error);
      g_clear_pointer (&rows, ws_store_rows_free);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close_v2 (db);
  return g_steal_pointer (&rows);
}

/* The app's history keeps its results in "results" (ws-history.c) and
 * has no "reports". */
gboolean
_ws_sqlite_is_history (sqlite3 *db)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gboolean results = FALSE, reports = FALSE;

  if (sqlite3_prepare_v2 (db, "SELECT name FROM sqlite_master WHERE type = 'table'",
                          -1, &stmt, NULL) != SQLITE_OK)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      results |= g_strcmp0 (name, "results") == 0;
      reports |= g_strcmp0 (name, "reports") == 0;
    }
  return results && !reports;
}

/* ws-pg-store.c — agents' reports in PostgreSQL, shared by collectors
 *
 * Several collectors may write one database: the primary key on id is what
 * keeps a report once when two of them are handed it at the same moment
 * (the second insert waits for the first transaction, then does nothing).
 * A batch inserts in id order, so two batches never wait on each other in
 * a cycle; a deadlock or serialization failure anyway is retried.
 *
 * A pool of connections: a call takes one, so commits of several threads
 * overlap on the server instead of queueing behind one connection. A
 * broken connection is reset once; a report whose COMMIT was lost with the
 * connection and is then retried reports WS_STORE_DUPLICATE, which is as
 * good for the agent: it is stored once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <libpq-fe.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ws-store-private.h"

/* Connections per store object. */
#define POOL_SIZE 4
/* Seconds libpq may take to connect when the URI does not say. */
#define CONNECT_TIMEOUT "10"
/* Attempts of a batch that met a deadlock, a serialization failure or a
 * lost connection. */
#define ATTEMPTS 5
/* pg_advisory_xact_lock() key for migrations: "WSst". */
#define MIGRATION_LOCK "1465086836"

#define TIME_IN "(timestamptz 'epoch' + %s::int8 * interval '1 microsecond')"
#define TIME_IN_1 "(timestamptz 'epoch' + $1::int8 * interval '1 microsecond')"
#define TIME_OUT(col) "(extract(epoch from " col ") * 1000000)::int8"

#define WS_TYPE_PG_STORE (ws_pg_store_get_type ())
G_DECLARE_FINAL_TYPE (WsPgStore, ws_pg_store, WS, PG_STORE, GObject)

struct _WsPgStore {
  GObject parent_instance;

  char *uri;
  char *shown;        /* the URI without its password */
  char *insert_sql;
  char *lookup_sql;

  GMutex lock;        /* the pool */
  GCond released;
  GQueue idle;        /* PGconn */
  guint n_open;
};

static void ws_pg_store_iface_init (WsStoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsPgStore, ws_pg_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_STORE, ws_pg_store_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

static const char *const migrations[WS_STORE_SCHEMA_VERSION] = {
  /* 0 → 1 */
  "CREATE TABLE schema_version (version integer NOT NULL);"
  "INSERT INTO schema_version VALUES (0);"
  "CREATE TABLE reports ("
  "  id uuid PRIMARY KEY,"
  "  received_at timestamptz NOT NULL,"
  "  agent text NOT NULL,"
  "  target text NOT NULL,"
  "  port integer NOT NULL,"
  "  test text NOT NULL,"
  "  start_time timestamptz NOT NULL,"
  "  download_bps double precision,"
  "  upload_bps double precision,"
  "  idle_latency_p50_ms double precision,"
  "  loaded_latency_p50_ms double precision,"
  "  latency_p50_ms double precision,"
  "  loss_percent double precision,"
  "  failed boolean NOT NULL,"
  "  json json NOT NULL);"
  "CREATE INDEX reports_by_start_time ON reports (start_time);"
  "CREATE INDEX reports_by_agent ON reports (agent, start_time);",
  /* 1 → 2: the context, the tail percentiles, the error */
  "ALTER TABLE reports"
  "  ADD COLUMN local_address text,"
  "  ADD COLUMN seen_address text,"
  "  ADD COLUMN server_tests integer,"
  "  ADD COLUMN error text,"
  "  ADD COLUMN idle_latency_p90_ms double precision,"
  "  ADD COLUMN idle_latency_p99_ms double precision,"
  "  ADD COLUMN loaded_latency_p90_ms double precision,"
  "  ADD COLUMN loaded_latency_p99_ms double precision,"
  "  ADD COLUMN latency_p90_ms double precision,"
  "  ADD COLUMN latency_p99_ms double precision;"
  "CREATE INDEX reports_by_target ON reports (target, test, start_time);",
  /* 2 → 3: what an analysis reads, beside the path (index-only scans) */
  "CREATE INDEX reports_for_analysis ON reports (agent, target, test, start_time)"
  "  INCLUDE (failed, download_bps, upload_bps, idle_latency_p50_ms, loaded_latency_p50_ms,"
  "  loss_percent);",
};

static void
ws_pg_store_finalize (GObject *object)
{
  WsPgStore *self = WS_PG_STORE (object);
  PGconn *conn;

  g_assert (self->n_open == self->idle.length);
  while ((conn = g_queue_pop_head (&self->idle)) != NULL)
    PQfinish (conn);
  g_free (self->uri);
  g_free (self->shown);
  g_free (self->insert_sql);
  g_free (self->lookup_sql);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->released);
  G_OBJECT_CLASS (ws_pg_store_parent_class)->finalize (object);
}

static void
ws_pg_store_class_init (WsPgStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_pg_store_finalize;
}

static void
ws_pg_store_init (WsPgStore *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->released);
  g_queue_init (&self->idle);
}

static gboolean
set_error (WsPgStore   *self,
           GIOErrorEnum code,
           const char  *message,
           GError     **error)
{
  g_autofree char *line = ws_store_one_line (message);

  /* Translators: a file name or a URI, then the database's reason, in English. */
  g_set_error (error, G_IO_ERROR, code, _("Store “%s”: %s"), self->shown, line);
  return FALSE;
}

/* NOTICEs ("relation exists…") would go to stderr. */
static void
ignore_notice (void       *data,
               const char *message)
{
  g_debug ("PostgreSQL: %s", message);
}

static PGconn *
connect_one (WsPgStore  *self,
             GError    **error)
{
  /* dbname last: what the URI says overrides the defaults before it. */
  const char *const keys[] = { "connect_timeout", "application_name", "dbname", NULL };
  const char *const values[] = { CONNECT_TIMEOUT, "wirespeed", self->uri, NULL };
  PGconn *conn = PQconnectdbParams (keys, values, 1);

  if (conn == NULL || PQstatus (conn) != CONNECTION_OK)
    {
      set_error (self, G_IO_ERROR_NOT_CONNECTED,
                 conn ? PQerrorMessage (conn) : "out of memory", error);
      PQfinish (conn);
      return NULL;
    }
  PQsetNoticeProcessor (conn, ignore_notice, NULL);
  return conn;
}

static PGconn *
acquire (WsPgStore  *self,
         GError    **error)
{
  PGconn *conn;

  g_mutex_lock (&self->lock);
  while (self->idle.length == 0 && self->n_open >= POOL_SIZE)
    g_cond_wait (&self->released, &self->lock);
  conn = g_queue_pop_head (&self->idle);
  if (conn == NULL)
    self->n_open++;
  g_mutex_unlock (&self->lock);
  if (conn != NULL)
    return conn;

  conn = connect_one (self, error);
  if (conn == NULL)
    {
      g_mutex_lock (&self->lock);
      self->n_open--;
      g_cond_signal (&self->released);
      g_mutex_unlock (&self->lock);
    }
  return conn;
}

/* A broken connection is closed here; the next call opens another. */
static void
release (WsPgStore *self,
         PGconn    *conn)
{
  gboolean broken = PQstatus (conn) != CONNECTION_OK
                    || PQtransactionStatus (conn) != PQTRANS_IDLE;

  if (broken)
    PQfinish (conn);
  g_mutex_lock (&self->lock);
  if (broken)
    self->n_open--;
  else
    g_queue_push_head (&self->idle, conn);
  g_cond_signal (&self->released);
  g_mutex_unlock (&self->lock);
}

static PGresult *
exec_once (PGconn            *conn,
           const char        *sql,
           int                n_params,
           const char *const *params)
{
  return n_params > 0 ? PQexecParams (conn, sql, n_params, NULL, params, NULL, NULL, 0)
                      : PQexec (conn, sql);
}

static gboolean
succeeded (PGresult *res)
{
  ExecStatusType status = PQresultStatus (res);

  return res != NULL && (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK);
}

/* Runs @sql; NULL and @error unless it succeeded. A deadlock or a
 * serialization failure is G_IO_ERROR_BUSY (try again), a lost connection
 * G_IO_ERROR_CONNECTION_CLOSED. */
static PGresult *
run (WsPgStore         *self,
     PGconn            *conn,
     const char        *sql,
     int                n_params,
     const char *const *params,
     GError           **error)
{
  gboolean idle = PQtransactionStatus (conn) == PQTRANS_IDLE;
  PGresult *res = exec_once (conn, sql, n_params, params);
  const char *state;
  GIOErrorEnum code = G_IO_ERROR_FAILED;

  /* The server restarted, or closed an idle connection: outside a
   * transaction nothing was half done, so connect again and redo it. */
  if (!succeeded (res) && idle && PQstatus (conn) == CONNECTION_BAD)
    {
      PQreset (conn);
      if (PQstatus (conn) == CONNECTION_OK)
        {
          PQclear (res);
          res = exec_once (conn, sql, n_params, params);
        }
    }
  if (succeeded (res))
    return res;
  state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  if (g_strcmp0 (state, "40P01") == 0 || g_strcmp0 (state, "40001") == 0)
    code = G_IO_ERROR_BUSY;
  else if (PQstatus (conn) != CONNECTION_OK)
    code = G_IO_ERROR_CONNECTION_CLOSED;
  set_error (self, code, res && *PQresultErrorMessage (res) ? PQresultErrorMessage (res)
                                                            : PQerrorMessage (conn), error);
  PQclear (res);
  return NULL;
}

static gboolean
run_ok (WsPgStore   *self,
        PGconn      *conn,
        const char  *sql,
        GError     **error)
{
  g_autoptr(PGresult) res = run (self, conn, sql, 0, NULL, error);

  return res != NULL;
}

static gboolean
rollback (PGconn *conn)
{
  PQclear (PQexec (conn, "ROLLBACK"));
  return FALSE;
}

/* -1 and @error, else the schema's version (0: none of our tables). */
static gint64
read_version (WsPgStore  *self,
              PGconn     *conn,
              GError    **error)
{
  g_autoptr(PGresult) tables = run (self, conn,
                                    "SELECT to_regclass('schema_version') IS NOT NULL,"
                                    " to_regclass('reports') IS NOT NULL", 0, NULL, error);
  g_autoptr(PGresult) version = NULL;

  if (tables == NULL)
    return -1;
  if (strcmp (PQgetvalue (tables, 0, 0), "t") != 0)
    {
      if (strcmp (PQgetvalue (tables, 0, 1), "t") == 0)
        return set_error (self, G_IO_ERROR_INVALID_DATA,
                          _("a table “reports” that is not Wirespeed’s"), error), -1;
      return 0;
    }
  version = run (self, conn, "SELECT max(version) FROM schema_version", 0, NULL, error);
  if (version == NULL)
    return -1;
  return g_ascii_strtoll (PQgetvalue (version, 0, 0), NULL, 10);
}

/* One transaction under an advisory lock: collectors starting together
 * migrate once, the others then find the new version. */
static gboolean
migrate (WsPgStore  *self,
         PGconn     *conn,
         GError    **error)
{
  g_autofree char *set_version = NULL;
  gint64 version;

  if (!run_ok (self, conn, "BEGIN", error))
    return FALSE;
  if (!run_ok (self, conn, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")", error)
      || (version = read_version (self, conn, error)) < 0)
    return rollback (conn);
  if (version > WS_STORE_SCHEMA_VERSION)
    {
      ws_store_set_newer_error (error, self->uri, version);
      return rollback (conn);
    }
  for (gint64 v = version; v < WS_STORE_SCHEMA_VERSION; v++)
    if (!run_ok (self, conn, migrations[v], error))
      return rollback (conn);
  set_version = g_strdup_printf ("UPDATE schema_version SET version = %d", WS_STORE_SCHEMA_VERSION);
  if (!run_ok (self, conn, set_version, error) || !run_ok (self, conn, "COMMIT", error))
    return rollback (conn);
  return TRUE;
}

/* @uri: postgresql://[user[:password]@][host][:port][/dbname][?param=value…]
 * as libpq reads it; connect_timeout defaults to 10 s. */
WsStore *
ws_pg_store_open (const char  *uri,
                  GError     **error)
{
  g_autoptr(WsPgStore) self = NULL;
  PGconn *conn;
  gboolean ok;

  g_return_val_if_fail (uri != NULL, NULL);

  self = g_object_new (WS_TYPE_PG_STORE, NULL);
  self->uri = g_strdup (uri);
  self->shown = ws_store_display_location (uri);
  self->insert_sql = ws_store_insert_sql (TIME_IN);
  self->lookup_sql = ws_store_lookup_sql (TIME_OUT ("start_time"), "failed::int");
  conn = acquire (self, error);
  if (conn == NULL)
    return NULL;
  ok = migrate (self, conn, error);
  release (self, conn);
  return ok ? WS_STORE (g_steal_pointer (&self)) : NULL;
}

/* Parameters as text, in the order of ws_store_insert_sql(). */
typedef struct {
  const char *values[WS_STORE_P_NUMBERS - 1 + WS_REPORT_N_NUMBERS];  /* $1 is values[0] */
  char port[16];
  char start[32];
  char received[32];
  char server_tests[16];
  char numbers[WS_REPORT_N_NUMBERS][G_ASCII_DTOSTR_BUF_SIZE];
} Params;

static void
params_init (Params           *p,
             const WsStoreRow *row,
             gint64            now)
{
  const WsReport *report = row->report;

  memset (p->values, 0, sizeof p->values);
  g_snprintf (p->port, sizeof p->port, "%u", report->result->port);
  g_snprintf (p->start, sizeof p->start, "%" G_GINT64_FORMAT, row->figures.start_time_us);
  g_snprintf (p->received, sizeof p->received, "%" G_GINT64_FORMAT, now);
  g_snprintf (p->server_tests, sizeof p->server_tests, "%d", report->server_tests);
  p->values[WS_STORE_P_ID - 1] = row->id;
  p->values[WS_STORE_P_RECEIVED_AT - 1] = p->received;
  p->values[WS_STORE_P_AGENT - 1] = report->agent;
  p->values[WS_STORE_P_TARGET - 1] = report->result->target;
  p->values[WS_STORE_P_PORT - 1] = p->port;
  p->values[WS_STORE_P_TEST - 1] = ws_test_mode_to_string (row->figures.mode);
  p->values[WS_STORE_P_START_TIME - 1] = p->start;
  p->values[WS_STORE_P_FAILED - 1] = row->figures.failed ? "true" : "false";
  p->values[WS_STORE_P_JSON - 1] = row->json;
  p->values[WS_STORE_P_LOCAL_ADDRESS - 1] = report->local_address;
  p->values[WS_STORE_P_SEEN_ADDRESS - 1] = report->seen_address;
  p->values[WS_STORE_P_SERVER_TESTS - 1] = report->server_tests >= 0 ? p->server_tests : NULL;
  p->values[WS_STORE_P_ERROR - 1] = report->error;
  for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
    if (!isnan (row->figures.numbers[i]))
      p->values[WS_STORE_P_NUMBERS + i - 1] = g_ascii_dtostr (p->numbers[i], sizeof p->numbers[i],
                                                  row->figures.numbers[i]);
}

#define N_PARAMS G_N_ELEMENTS (((Params *) NULL)->values)
/* Rows per INSERT: one statement per round trip, within libpq's 65,535
 * parameters. */
#define ROWS_PER_INSERT 512

/* ws_store_insert_sql()'s one row @n_rows times, each with parameter
 * numbers of its own, and the ids the statement added. */
static char *
multi_insert_sql (const char *one_row,
                  guint       n_rows)
{
  const char *tuple = strstr (one_row, " VALUES (") + strlen (" VALUES ");
  const char *end = strstr (tuple, " ON CONFLICT");
  GString *sql = g_string_new_len (one_row, tuple - one_row);

  for (guint r = 0; r < n_rows; r++)
    {
      if (r > 0)
        g_string_append (sql, ", ");
      for (const char *c = tuple; c < end; c++)
        {
          char *after;

          if (*c != '$' || !g_ascii_isdigit (c[1]))
            {
              g_string_append_c (sql, *c);
              continue;
            }
          g_string_append_printf (sql, "$%" G_GUINT64_FORMAT,
                                  g_ascii_strtoull (c + 1, &after, 10) + (guint64) r * N_PARAMS);
          c = after - 1;
        }
    }
  g_string_append (sql, " ON CONFLICT (id) DO NOTHING RETURNING id::text");
  return g_string_free (sql, FALSE);
}

/* One INSERT of many rows: one round trip, not one per row, which is
 * what bounds a collector's batches when the server is busy. A row is
 * new when the statement returned its id, first come first served for an
 * id that appears twice. */
static gboolean
insert_chunk (WsPgStore         *self,
              PGconn            *conn,
              WsStoreRow *const *rows,
              guint              n_rows,
              gint64             now,
              WsStoreOutcome    *outcomes,
              GError           **error)
{
  g_autofree Params *p = g_new (Params, n_rows);
  g_autofree const char **values = g_new (const char *, n_rows * N_PARAMS);
  g_autofree char *sql = multi_insert_sql (self->insert_sql, n_rows);
  g_autoptr(GHashTable) added = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(PGresult) res = NULL;

  for (guint i = 0; i < n_rows; i++)
    {
      params_init (&p[i], rows[i], now);
      memcpy (values + i * N_PARAMS, p[i].values, sizeof p[i].values);
    }
  res = run (self, conn, sql, n_rows * N_PARAMS, values, error);
  if (res == NULL)
    return FALSE;
  for (int t = 0; t < PQntuples (res); t++)
    g_hash_table_add (added, PQgetvalue (res, t, 0));
  for (guint i = 0; i < n_rows; i++)
    outcomes[rows[i]->index] = g_hash_table_remove (added, rows[i]->id) ? WS_STORE_NEW
                                                                          : WS_STORE_DUPLICATE;
  return TRUE;
}

/* One statement, which commits by itself; more than one in a transaction,
 * as the batch is all or none. */
static gboolean
insert_rows (WsPgStore         *self,
             PGconn            *conn,
             WsStoreRow *const *rows,
             guint              n_rows,
             WsStoreOutcome    *outcomes,
             GError           **error)
{
  gint64 now = g_get_real_time ();
  gboolean several = n_rows > ROWS_PER_INSERT;

  if (several && !run_ok (self, conn, "BEGIN", error))
    return FALSE;
  for (guint i = 0; i < n_rows; i += ROWS_PER_INSERT)
    if (!insert_chunk (self, conn, rows + i, MIN (ROWS_PER_INSERT, n_rows - i), now, outcomes, error))
      return several ? rollback (conn) : FALSE;
  return !several || run_ok (self, conn, "COMMIT", error) || rollback (conn);
}

static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  return strcmp ((*(WsStoreRow *const *) a)->id, (*(WsStoreRow *const *) b)->id);
}

/* Retries what a retry may fix: a deadlock, a serialization failure, a
 * connection lost (the next attempt gets a fresh one). */
static gboolean
insert_with_retries (WsPgStore         *self,
                     WsStoreRow *const *sorted,
                     guint              n_rows,
                     WsStoreOutcome    *outcomes,
                     GError           **error)
{
  for (guint attempt = 1;; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      PGconn *conn = acquire (self, &local_error);
      gboolean ok = conn && insert_rows (self, conn, sorted, n_rows, outcomes, &local_error);

      if (conn != NULL)
        release (self, conn);
      if (ok)
        return TRUE;
      if (attempt == ATTEMPTS
          || !(g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_BUSY)
               || (conn != NULL && g_error_matches (local_error, G_IO_ERROR,
                                                    G_IO_ERROR_CONNECTION_CLOSED))))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_usleep (g_random_int_range (1000, 20000) * attempt);
    }
}

static gboolean
ws_pg_store_add_many (WsStore          *store,
                      WsReport *const  *reports,
                      guint             n_reports,
                      WsStoreOutcome   *outcomes,
                      GError          **error)
{
  WsPgStore *self = WS_PG_STORE (store);
  g_autofree WsStoreRow *rows = g_new0 (WsStoreRow, n_reports);
  g_autofree WsStoreRow **sorted = g_new (WsStoreRow *, n_reports);
  gboolean ok = TRUE;
  guint n_rows = 0;

  for (; n_rows < n_reports && ok; n_rows++)
    {
      ok = ws_store_row_init (&rows[n_rows], reports[n_rows], error);
      rows[n_rows].index = n_rows;
      sorted[n_rows] = &rows[n_rows];
    }
  if (ok)
    {
      /* One order for every batch: two collectors' batches then never
       * wait for each other in a cycle. */
      qsort (sorted, n_reports, sizeof *sorted, compare_rows);
      ok = insert_with_retries (self, sorted, n_reports, outcomes, error);
    }
  for (guint i = 0; i < n_rows; i++)
    ws_store_row_clear (&rows[i]);
  return ok;
}

/* Batches in their own transactions, as in SQLite: an ingest never waits
 * behind a whole retention's locks. */
static gint64
ws_pg_store_prune (WsStore    *store,
                   GDateTime  *before,
                   GError    **error)
{
  WsPgStore *self = WS_PG_STORE (store);
  g_autofree char *before_us = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                g_date_time_to_unix (before) * G_USEC_PER_SEC
                                                + g_date_time_get_microsecond (before));
  const char *params[] = { before_us };
  PGconn *conn = acquire (self, error);
  gint64 total = 0, n;

  if (conn == NULL)
    return -1;
  do
    {
      g_autoptr(PGresult) res = run (self, conn,
                                     "DELETE FROM reports WHERE id IN (SELECT id FROM reports"
                                     " WHERE start_time < " TIME_IN_1 " LIMIT "
                                     G_STRINGIFY (WS_STORE_PRUNE_BATCH) ")", 1, params, error);

      if (res == NULL)
        {
          total = -1;
          break;
        }
      n = g_ascii_strtoll (PQcmdTuples (res), NULL, 10);
      total += n;
    }
  while (n == WS_STORE_PRUNE_BATCH);
  release (self, conn);
  return total;
}

/* A query's one value, as text; NULL and @error on failure. */
static char *
query_value (WsPgStore         *self,
             const char        *sql,
             int                n_params,
             const char *const *params,
             GError           **error)
{
  PGconn *conn = acquire (self, error);
  g_autoptr(PGresult) res = NULL;
  char *value = NULL;

  if (conn == NULL)
    return NULL;
  res = run (self, conn, sql, n_params, params, error);
  if (res != NULL && PQntuples (res) > 0)
    value = g_strdup (PQgetvalue (res, 0, 0));
  release (self, conn);
  return value;
}

static gint64
ws_pg_store_count (WsStore  *store,
                   GError  **error)
{
  g_autofree char *n = query_value (WS_PG_STORE (store), "SELECT count(*) FROM reports",
                                    0, NULL, error);

  return n ? g_ascii_strtoll (n, NULL, 10) : -1;
}

static gboolean
read_lookup (PGresult         *res,
             WsReportFigures  *figures,
             char            **json,
             GError          **error)
{
  if (figures != NULL)
    {
      if (!ws_store_read_figures (figures, PQgetvalue (res, 0, 1),
                                  g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10),
                                  strcmp (PQgetvalue (res, 0, 2), "1") == 0, error))
        return FALSE;
      for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
        figures->numbers[i] = PQgetisnull (res, 0, 3 + i)
                              ? NAN : g_ascii_strtod (PQgetvalue (res, 0, 3 + i), NULL);
    }
  if (json != NULL)
    *json = g_strdup (PQgetvalue (res, 0, 3 + WS_REPORT_N_NUMBERS));
  return TRUE;
}

static gboolean
ws_pg_store_lookup (WsStore          *store,
                    const char       *id,
                    WsReportFigures  *figures,
                    char            **json,
                    GError          **error)
{
  WsPgStore *self = WS_PG_STORE (store);
  const char *params[] = { id };
  PGconn *conn = acquire (self, error);
  g_autoptr(PGresult) res = NULL;
  gboolean found = FALSE;

  if (conn == NULL)
    return FALSE;
  res = run (self, conn, self->lookup_sql, 1, params, error);
  if (res != NULL && PQntuples (res) == 1)
    found = read_lookup (res, figures, json, error);
  release (self, conn);
  return found;
}

static GPtrArray *
ws_pg_store_list_ids (WsStore  *store,
                      GError  **error)
{
  WsPgStore *self = WS_PG_STORE (store);
  PGconn *conn = acquire (self, error);
  g_autoptr(PGresult) res = NULL;
  GPtrArray *ids = NULL;

  if (conn == NULL)
    return NULL;
  res = run (self, conn, "SELECT id::text FROM reports", 0, NULL, error);
  if (res != NULL)
    {
      ids = g_ptr_array_new_full (PQntuples (res), g_free);
      for (int i = 0; i < PQntuples (res); i++)
        g_ptr_array_add (ids, g_strdup (PQgetvalue (res, i, 0)));
    }
  release (self, conn);
  return ids;
}

static WsStoreDialect
ws_pg_store_get_dialect (WsStore *store)
{
  return WS_STORE_DIALECT_POSTGRESQL;
}

static WsStoreRows *
rows_from_result (PGresult *res)
{
  WsStoreRows *rows = _ws_store_rows_new (PQnfields (res));

  for (int r = 0; r < PQntuples (res); r++)
    {
      _ws_store_rows_add_row (rows);
      for (int c = 0; c < PQnfields (res); c++)
        if (!PQgetisnull (res, r, c))
          _ws_store_rows_set (rows, c, PQgetvalue (res, r, c),
                              g_ascii_strtod (PQgetvalue (res, r, c), NULL));
    }
  return rows;
}

/* An analysis sorts its period's rows in memory rather than in files:
 * work_mem for this transaction only, not for the collector's inserts.
 * And it reads the covering index (reports_for_analysis) in path order,
 * which the planner undervalues: a sequential scan reads every row's
 * JSON and sorts a million rows by text where the index needs only each
 * path's hours sorted (measured in docs/PERFORMANCE.md). */
static WsStoreRows *
ws_pg_store_query (WsStore           *store,
                   const char        *sql,
                   const char *const *params,
                   guint              n_params,
                   GError           **error)
{
  WsPgStore *self = WS_PG_STORE (store);
  PGconn *conn = acquire (self, error);
  g_autoptr(PGresult) res = NULL;
  WsStoreRows *rows = NULL;

  if (conn == NULL)
    return NULL;
  if (run_ok (self, conn, "BEGIN READ ONLY", error)
      && run_ok (self, conn, "SET LOCAL work_mem = '256MB'", error)
      && run_ok (self, conn, "SET LOCAL enable_seqscan = off", error)
      && (res = run (self, conn, sql, n_params, params, error)) != NULL
      && run_ok (self, conn, "COMMIT", error))
    rows = rows_from_result (res);
  else
    rollback (conn);
  release (self, conn);
  return rows;
}

static void
ws_pg_store_iface_init (WsStoreInterface *iface)
{
  iface->get_dialect = ws_pg_store_get_dialect;
  iface->query = ws_pg_store_query;
  iface->add_many = ws_pg_store_add_many;
  iface->prune = ws_pg_store_prune;
  iface->count = ws_pg_store_count;
  iface->lookup = ws_pg_store_lookup;
  iface->list_ids = ws_pg_store_list_ids;
}

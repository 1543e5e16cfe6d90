/* ws-analyze-gen.c — fills a store with synthetic results for
 * bench/analyze.sh: N results from A agents over D days
 *
 *   ws-analyze-gen LOCATION [N [AGENTS [DAYS]]]   (1000000 200 90)
 *
 * The store is created by ws_store_open(), so its schema is the one the
 * collector writes; the rows then go in fast, not through the collector's
 * one-report path: SQLite in one transaction through one prepared
 * statement, PostgreSQL by COPY. The figures follow a day: slower evenings
 * (19:00–22:59 UTC at 75 %), a shared dip on each target every 5 days
 * (14:00 + target, all its agents at 40 %), an agent's own dip now and
 * then (03:00, 50 %, one agent-day in 400), noise of ±10 %, 1 % failed. The JSON column holds
 * "{}": an analysis never reads it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ws-store.h"

/* Monday 2024-01-01 00:00:00 UTC. */
#define T0 G_GINT64_CONSTANT (1704067200)
#define N_TARGETS 4

typedef struct {
  guint64 id;
  guint agent;
  gint64 start_s;
  gboolean failed;
  gdouble dl, ul, idle, loaded, loss;
} Row;

static guint64 rng = 0x9E3779B97F4A7C15;

static gdouble
uniform (void)
{
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (rng >> 11) * (1.0 / 9007199254740992.0);
}

static void
make_row (Row     *r,
          guint64  i,
          guint    n_agents,
          gdouble  spacing_s)
{
  guint a = i % n_agents;
  guint64 k = i / n_agents;
  gint64 t = T0 + (gint64) (k * spacing_s) + a * 7;
  gint64 day = (t - T0) / 86400, hour = t / 3600 % 24;
  guint target = a % N_TARGETS;
  gdouble factor = hour >= 19 && hour <= 22 ? 0.75 : 1;

  if (day % 5 == target && hour == 14 + target)
    factor *= 0.4;
  if ((day * 2654435761u + a * 40503u) % 400 == 0 && hour == 3)
    factor *= 0.5;
  r->id = i;
  r->agent = a;
  r->start_s = t;
  r->failed = uniform () < 0.01;
  r->dl = (50e6 + (a % 20) * 25e6) * factor * (0.9 + 0.2 * uniform ());
  r->ul = r->dl / 5;
  r->idle = 1 + uniform ();
  r->loaded = 20 / factor * (0.9 + 0.2 * uniform ());
  r->loss = uniform () < 0.9 ? 0 : uniform ();
}

static const char insert_sql[] =
  "INSERT INTO reports (id, received_at, agent, target, port, test, start_time, download_bps,"
  " upload_bps, idle_latency_p50_ms, loaded_latency_p50_ms, loss_percent, failed, json)"
  " VALUES (?1, ?2, ?3, ?4, 5201, 'SPEED', ?2, ?5, ?6, ?7, ?8, ?9, ?10, '{}')";

static void
id_text (char    *buf,
         gsize    size,
         guint64  id)
{
  g_snprintf (buf, size, "%08x-0000-4000-8000-%012" G_GINT64_MODIFIER "x", (guint) (id >> 48),
              id & G_GUINT64_CONSTANT (0xffffffffffff));
}

static int
fill_sqlite (const char *path,
             guint64     n,
             guint       n_agents,
             gdouble     spacing_s)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_open (path, &db) != SQLITE_OK
      || sqlite3_exec (db, "PRAGMA synchronous = OFF; BEGIN", NULL, NULL, NULL) != SQLITE_OK
      || sqlite3_prepare_v2 (db, insert_sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      fprintf (stderr, "ws-analyze-gen: %s\n", sqlite3_errmsg (db));
      return 1;
    }
  for (guint64 i = 0; i < n; i++)
    {
      char id[40], agent[32], target[32];
      Row r;

      make_row (&r, i, n_agents, spacing_s);
      id_text (id, sizeof id, r.id);
      g_snprintf (agent, sizeof agent, "agent-%03u", r.agent);
      g_snprintf (target, sizeof target, "target-%u.example", r.agent % N_TARGETS);
      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, r.start_s * G_USEC_PER_SEC);
      sqlite3_bind_text (stmt, 3, agent, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, target, -1, SQLITE_TRANSIENT);
      sqlite3_bind_double (stmt, 5, r.dl);
      sqlite3_bind_double (stmt, 6, r.ul);
      sqlite3_bind_double (stmt, 7, r.idle);
      sqlite3_bind_double (stmt, 8, r.loaded);
      sqlite3_bind_double (stmt, 9, r.loss);
      sqlite3_bind_int (stmt, 10, r.failed);
      if (sqlite3_step (stmt) != SQLITE_DONE)
        {
          fprintf (stderr, "ws-analyze-gen: %s\n", sqlite3_errmsg (db));
          return 1;
        }
    }
  sqlite3_finalize (stmt);
  if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return 1;
  sqlite3_close (db);
  return 0;
}

static void
copy_line (GString   *out,
           const Row *r)
{
  char id[40], when[32];
  time_t t = r->start_s;
  struct tm tm;

  id_text (id, sizeof id, r->id);
  gmtime_r (&t, &tm);
  strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S+00", &tm);
  g_string_append_printf (out, "%s\t%s\tagent-%03u\ttarget-%u.example\t5201\tSPEED\t%s\t"
                          "%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%s\t{}\n",
                          id, when, r->agent, r->agent % N_TARGETS, when, r->dl, r->ul, r->idle,
                          r->loaded, r->loss, r->failed ? "t" : "f");
}

static gboolean
pg_ok (PGconn   *conn,
       PGresult *res)
{
  ExecStatusType status = PQresultStatus (res);
  gboolean ok = status == PGRES_COMMAND_OK || status == PGRES_COPY_IN;

  if (!ok)
    fprintf (stderr, "ws-analyze-gen: %s\n", PQerrorMessage (conn));
  PQclear (res);
  return ok;
}

static int
fill_pg (const char *uri,
         guint64     n,
         guint       n_agents,
         gdouble     spacing_s)
{
  PGconn *conn = PQconnectdb (uri);
  GString *chunk = g_string_new (NULL);

  if (PQstatus (conn) != CONNECTION_OK
      || !pg_ok (conn, PQexec (conn, "COPY reports (id, received_at, agent, target, port, test,"
                               " start_time, download_bps, upload_bps, idle_latency_p50_ms,"
                               " loaded_latency_p50_ms, loss_percent, failed, json) FROM STDIN")))
    return 1;
  for (guint64 i = 0; i < n; i++)
    {
      Row r;

      make_row (&r, i, n_agents, spacing_s);
      copy_line (chunk, &r);
      if (chunk->len > (1 << 20) || i + 1 == n)
        {
          if (PQputCopyData (conn, chunk->str, chunk->len) != 1)
            return 1;
          g_string_truncate (chunk, 0);
        }
    }
  if (PQputCopyEnd (conn, NULL) != 1 || !pg_ok (conn, PQgetResult (conn))
      || !pg_ok (conn, PQexec (conn, "VACUUM ANALYZE reports")))
    return 1;
  g_string_free (chunk, TRUE);
  PQfinish (conn);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = NULL;
  guint64 n = argc > 2 ? g_ascii_strtoull (argv[2], NULL, 10) : 1000000;
  guint n_agents = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10) : 200;
  guint days = argc > 4 ? (guint) g_ascii_strtoull (argv[4], NULL, 10) : 90;
  gdouble spacing_s;

  if (argc < 2 || n == 0 || n_agents == 0 || days == 0)
    {
      fprintf (stderr, "usage: ws-analyze-gen LOCATION [N [AGENTS [DAYS]]]\n");
      return 2;
    }
  /* The schema, made as a collector makes it. */
  store = ws_store_open (argv[1], &error);
  if (store == NULL)
    {
      fprintf (stderr, "ws-analyze-gen: %s\n", error->message);
      return 1;
    }
  g_clear_object (&store);
  spacing_s = days * 86400.0 / ((n + n_agents - 1) / n_agents);
  if (g_str_has_prefix (argv[1], "postgres"))
    return fill_pg (argv[1], n, n_agents, spacing_s);
  return fill_sqlite (argv[1], n, n_agents, spacing_s);
}

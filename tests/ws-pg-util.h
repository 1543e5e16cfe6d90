/* ws-pg-util.h — a real PostgreSQL 15 for the tests, in a temporary
 * folder on a free loopback port (test-store.c, test-analyze.c)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ws-listen-util.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGconn, PQfinish)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

#define PG_BIN "/usr/lib/postgresql/15/bin"

/* The PostgreSQL server: one per run, as initdb takes seconds. A watcher
 * shell started with it reads our end of a pipe; when this process exits,
 * however it dies, the pipe closes and the watcher stops the server and
 * removes its folder. Told "retry", it keeps the folder: another suite
 * took the port, and a new watcher tries another. */
static struct {
  char *dir;
  char *skip_reason;
  guint16 port;
  GPid watcher;
  int watcher_stdin;
  guint n_databases;
} pg = { .watcher_stdin = -1 };

static const char watcher_script[] =
  "dir=$1; port=$2; fsync=$3; shift 3\n"
  "\"$@\" -D \"$dir/data\" -k \"$dir\" -h 127.0.0.1 -p \"$port\" -c fsync=$fsync"
  " -c max_connections=60 -c shared_buffers=16MB >\"$dir/log\" 2>&1 </dev/null &\n"
  "pid=$!\n"
  "read -r what\n"
  "kill -QUIT $pid 2>/dev/null\n"
  "wait $pid\n"
  "[ \"$what\" = retry ] || rm -rf \"$dir\"\n";

static char *
pg_uri (const char *database)
{
  return g_strdup_printf ("postgresql://wirespeed@127.0.0.1:%u/%s", pg.port, database);
}

static void
stop_pg (void)
{
  int status;

  if (pg.watcher_stdin < 0)
    return;
  close (pg.watcher_stdin);
  pg.watcher_stdin = -1;
  waitpid (pg.watcher, &status, 0);
  g_spawn_close_pid (pg.watcher);
}

/* As root, the server runs as postgres (or nobody): it refuses root. */
static GStrv
as_server_user (const char *program)
{
  g_autoptr(GStrvBuilder) argv = g_strv_builder_new ();
  struct passwd *pw = getuid () == 0 ? getpwnam ("postgres") : NULL;

  if (getuid () == 0 && pw == NULL)
    pw = getpwnam ("nobody");
  if (pw != NULL)
    {
      g_autofree char *uid = g_strdup_printf ("--reuid=%u", (guint) pw->pw_uid);
      g_autofree char *gid = g_strdup_printf ("--regid=%u", (guint) pw->pw_gid);

      g_assert_no_errno (chown (pg.dir, pw->pw_uid, pw->pw_gid));
      g_strv_builder_add_many (argv, "setpriv", uid, gid, "--clear-groups", NULL);
    }
  g_strv_builder_add (argv, program);
  return g_strv_builder_end (argv);
}

static gboolean
run_initdb (void)
{
  g_auto(GStrv) base = as_server_user (PG_BIN "/initdb");
  g_autofree char *data = g_build_filename (pg.dir, "data", NULL);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  g_strv_builder_addv (builder, (const char **) base);
  g_strv_builder_add_many (builder, "-D", data, "-A", "trust", "-U", "wirespeed", "-N",
                           "-E", "UTF8", "--locale=C", NULL);
  argv = g_strv_builder_end (builder);
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    {
      pg.skip_reason = g_strdup_printf ("initdb: %s %s", error->message, err ? err : "");
      return FALSE;
    }
  return TRUE;
}

static gboolean
start_watcher (void)
{
  g_auto(GStrv) server = as_server_user (PG_BIN "/postgres");
  g_autofree char *port = g_strdup_printf ("%u", pg.port);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) argv = NULL;
  g_autoptr(GError) error = NULL;

  /* Durability costs seconds the tests need not spend, but is what a
   * measurement measures. */
  g_strv_builder_add_many (builder, "/bin/sh", "-c", watcher_script, "sh", pg.dir, port,
                           g_test_perf () ? "on" : "off", NULL);
  g_strv_builder_addv (builder, (const char **) server);
  argv = g_strv_builder_end (builder);
  if (!g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &pg.watcher, &pg.watcher_stdin, NULL, NULL, &error))
    {
      pg.skip_reason = g_strdup (error->message);
      return FALSE;
    }
  return TRUE;
}

/* FALSE when the server gave up on its port. */
static gboolean
wait_ready (void)
{
  g_autofree char *uri = pg_uri ("postgres");
  g_autofree char *log_path = g_build_filename (pg.dir, "log", NULL);
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (PQping (uri) != PQPING_OK)
    {
      g_autofree char *log = NULL;

      if (g_file_get_contents (log_path, &log, NULL, NULL)
          && strstr (log, "could not create any TCP/IP sockets") != NULL)
        return FALSE;
      if (g_get_monotonic_time () > deadline)
        g_error ("PostgreSQL did not start on port %u: see %s", pg.port, log_path);
      g_usleep (50000);
    }
  return TRUE;
}

static void
start_pg (void)
{
  if (!g_file_test (PG_BIN "/initdb", G_FILE_TEST_IS_EXECUTABLE))
    {
      pg.skip_reason = g_strdup ("no " PG_BIN "/initdb (postgresql-15 is in build-aux/deps.sh)");
      return;
    }
  pg.dir = g_dir_make_tmp ("ws-store-pg-XXXXXX", NULL);
  g_assert_nonnull (pg.dir);
  if (!run_initdb ())
    return;
  atexit (stop_pg);
  for (guint attempt = 1;; attempt++)
    {
      pg.port = pick_free_port ();
      if (!start_watcher () || wait_ready ())
        return;
      g_assert_cmpuint (attempt, <, 5);
      g_assert_cmpint (write (pg.watcher_stdin, "retry\n", 6), ==, 6);
      stop_pg ();
    }
}

/* A new, empty database on the server; its URI. */
static char *
pg_new_database (void)
{
  g_autoptr(PGconn) conn = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *name = g_strdup_printf ("t%u", ++pg.n_databases);
  g_autofree char *maintenance = pg_uri ("postgres");
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);

  conn = PQconnectdb (maintenance);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, sql);
  g_assert_cmpstr (PQresultErrorMessage (res), ==, "");
  return pg_uri (name);
}

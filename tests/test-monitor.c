/* test-monitor.c — issue 14's proof: nothing lost, nothing doubled
 *
 * Real processes only: a `wirespeed --server` the agents test against,
 * fleets of `wirespeed --agent` with short schedules, and `wirespeed
 * --server --collect` collectors, all with TLS and keys. The test breaks
 * the delivery path while the fleet reports: kill -9 of the collector, of
 * agents, an nftables drop of the collector's port between two network
 * namespaces, two collectors on one PostgreSQL with one killed, a
 * `wirespeed --relay` killed, blocking an agent, and two relays in a chain.
 *
 * Every case ends the same way: the agents are stopped and started once
 * more with --once (which delivers each spool to the last report), and
 * the ids every agent logged for its runs are compared, as sets, with the
 * ids in the database. Waits are on events (rows in the database, lines
 * in the logs) under a generous deadline; the random moments of the kills
 * come from g_test_rand_*, so a failing seed can be replayed (--seed).
 *
 * Each process writes its stdout and stderr to a file of its own in the
 * case's folder (a pipe nobody reads would stall a chatty collector); a
 * restarted process gets a new file, so logs survive kill -9.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "ws-channel.h"
#include "ws-pg-util.h"
#include "ws-store.h"

#define USEC G_GINT64_CONSTANT (1000000)
#define MAX_AGENTS 20
/* Generous: a loaded 2-core machine under ASan. */
#define DEADLINE_S 150
#define EXIT_TIMEOUT_MS 60000
/* Both ends of the veth pair in the namespaces the nftables case makes. */
#define NS_COLLECTOR_ADDR "10.200.3.1"
#define NS_AGENTS_ADDR "10.200.3.2"

typedef struct {
  char *name;
  char *location;     /* the database */
  const char *netns;  /* NULL: this namespace */
  guint port;         /* 0 until the first start picks one */
  guint starts;
  GSubprocess *proc;
} Collector;

typedef struct {
  char *name;
  char *key_file;
  char *config;
  char *spool;
  guint starts;
  GSubprocess *proc;
} Agent;

/* wirespeed --relay: agents' reports forwarded to the next relay or to
 * the first collector, with a spool of its own. */
typedef struct {
  char *name;
  char *key_file;
  char *spool;
  const char *block;  /* NULL: none */
  guint port;
  guint starts;
  GSubprocess *proc;
} Relay;

typedef struct {
  char *dir;
  char *keys;
  char *cert;
  char *key;
  char *fingerprint;
  const char *agent_ns;       /* where the agents and their test server run */
  const char *collector_host; /* where the agents find the collectors */
  guint server_port;
  GSubprocess *server;
  Collector collectors[2];
  guint n_collectors;
  Agent agents[MAX_AGENTS];
  guint n_agents;
  Relay relays[2];            /* the agents report to the first, it to the next */
  guint n_relays;
  const char *blocked;        /* an agent a relay refuses: its runs stored nowhere */
  guint kills;
  gint64 started_us;
} Fleet;

/* ---- Processes with a log file each ---- */

static void
child_setup (gpointer user_data)
{
  /* No process of a case outlives a test that aborts on an assertion. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  gboolean *expired = user_data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

static GSubprocess *
spawn_logged (const char         *netns,
              const char         *log,
              const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;
  int fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

  g_assert_cmpint (fd, >=, 0);
  if (netns != NULL)
    {
      g_ptr_array_add (argv, "ip");
      g_ptr_array_add (argv, "netns");
      g_ptr_array_add (argv, "exec");
      g_ptr_array_add (argv, (gpointer) netns);
    }
  g_ptr_array_add (argv, (gpointer) g_getenv ("WIRESPEED"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_take_stdout_fd (launcher, fd);
  g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("");
  return text;
}

/* Waits until @proc has exited; FALSE after @timeout_ms. */
static gboolean
wait_exit (GSubprocess *proc,
           guint        timeout_ms)
{
  gboolean exited = FALSE, expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_deadline, &expired);

  g_subprocess_wait_async (proc, NULL, on_exited, &exited);
  while (!exited && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (exited)
    {
      g_source_remove (id);
      return TRUE;
    }
  /* Killed, so that the wait under way ends before its flag goes away. */
  g_subprocess_force_exit (proc);
  while (!exited)
    g_main_context_iteration (NULL, TRUE);
  return FALSE;
}

static void
kill9 (GSubprocess **proc)
{
  if (*proc == NULL)
    return;
  g_subprocess_send_signal (*proc, SIGKILL);
  g_assert_true (wait_exit (*proc, 10000));
  g_clear_object (proc);
}

/* The port of a server that wrote its listening line to @log. */
static guint
wait_listening_in (GSubprocess *proc,
                   const char  *log)
{
  const char *needle = " listening on port ";
  gint64 deadline = g_get_monotonic_time () + 30 * USEC;

  for (;;)
    {
      g_autofree char *text = read_text (log);
      const char *at = strstr (text, needle);

      if (at != NULL)
        return (guint) g_ascii_strtoull (at + strlen (needle), NULL, 10);
      if (g_subprocess_get_identifier (proc) == NULL || g_get_monotonic_time () > deadline)
        g_error ("%s: no listening line (exited or 30 s passed):\n%s", log, text);
      g_usleep (20000);
    }
}

/* ---- The fleet ---- */

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
fleet_init (Fleet *f,
            guint  n_agents)
{
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autoptr(GTlsCertificate) cert = NULL;

  memset (f, 0, sizeof *f);
  f->dir = g_dir_make_tmp ("ws-monitor-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->cert = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server.pem", NULL);
  f->key = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", "server-key.pem", NULL);
  cert = g_tls_certificate_new_from_files (f->cert, f->key, NULL);
  g_assert_nonnull (cert);
  f->fingerprint = ws_tls_certificate_fingerprint (cert);
  f->collector_host = "127.0.0.1";
  f->n_agents = n_agents;
  for (guint i = 0; i < n_agents; i++)
    {
      Agent *a = &f->agents[i];
      g_autofree char *line = NULL;
      g_autofree char *file = NULL;

      a->name = g_strdup_printf ("a%02u", i);
      line = g_strdup_printf ("%s:secret-of-%s\n", a->name, a->name);
      g_string_append (keys, line);
      file = g_strdup_printf ("%s.key", a->name);
      a->key_file = write_private (f->dir, file, line);
      a->spool = g_strdup_printf ("%s/%s.spool", f->dir, a->name);
      a->config = g_strdup_printf ("%s/%s.conf", f->dir, a->name);
    }
  for (guint k = 0; k < G_N_ELEMENTS (f->relays); k++)
    {
      Relay *r = &f->relays[k];
      g_autofree char *line = NULL;
      g_autofree char *file = NULL;

      r->name = g_strdup_printf ("r%u", k + 1);
      line = g_strdup_printf ("%s:secret-of-%s\n", r->name, r->name);
      g_string_append (keys, line);
      file = g_strdup_printf ("%s.key", r->name);
      r->key_file = write_private (f->dir, file, line);
      r->spool = g_strdup_printf ("%s/%s.spool", f->dir, r->name);
    }
  f->keys = write_private (f->dir, "keys", keys->str);
  f->started_us = g_get_monotonic_time ();
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        remove_tree (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fleet_clear (Fleet *f)
{
  for (guint i = 0; i < f->n_agents; i++)
    {
      kill9 (&f->agents[i].proc);
      g_free (f->agents[i].name);
      g_free (f->agents[i].key_file);
      g_free (f->agents[i].config);
      g_free (f->agents[i].spool);
    }
  for (guint k = 0; k < G_N_ELEMENTS (f->relays); k++)
    {
      kill9 (&f->relays[k].proc);
      g_free (f->relays[k].name);
      g_free (f->relays[k].key_file);
      g_free (f->relays[k].spool);
    }
  for (guint i = 0; i < f->n_collectors; i++)
    {
      kill9 (&f->collectors[i].proc);
      g_free (f->collectors[i].name);
      g_free (f->collectors[i].location);
    }
  kill9 (&f->server);
  /* Kept when the case failed: the logs say what happened. */
  if (!g_test_failed ())
    remove_tree (f->dir);
  else
    g_test_message ("logs kept in %s", f->dir);
  g_free (f->dir);
  g_free (f->keys);
  g_free (f->cert);
  g_free (f->key);
  g_free (f->fingerprint);
}

/* The server the agents test: TLS and the same keys. */
static void
fleet_start_server (Fleet *f)
{
  g_autofree char *log = g_build_filename (f->dir, "server.log", NULL);
  const char *args[] = { "--server", "--port", "0", "--tls-cert", f->cert, "--tls-key", f->key,
                         "--auth-file", f->keys, NULL };

  f->server = spawn_logged (f->agent_ns, log, args);
  f->server_port = wait_listening_in (f->server, log);
}

static Collector *
fleet_add_collector (Fleet      *f,
                     const char *location,
                     const char *netns)
{
  Collector *c = &f->collectors[f->n_collectors];

  g_assert_cmpuint (f->n_collectors, <, G_N_ELEMENTS (f->collectors));
  c->name = g_strdup_printf ("c%u", ++f->n_collectors);
  c->location = g_strdup (location);
  c->netns = netns;
  return c;
}

/* Starts @c, on the port of its first start ever after. */
static void
collector_start (Fleet     *f,
                 Collector *c)
{
  g_autofree char *log = g_strdup_printf ("%s/%s-%u.log", f->dir, c->name, c->starts++);
  g_autofree char *port = g_strdup_printf ("%u", c->port);
  /* Trusting relays that do not run changes nothing for the other cases. */
  const char *args[] = { "--server", "--port", port, "--tls-cert", f->cert, "--tls-key", f->key,
                         "--auth-file", f->keys, "--collect", c->location,
                         "--trust-relay", "r1", "--trust-relay", "r2", NULL };

  g_assert_null (c->proc);
  c->proc = spawn_logged (c->netns, log, args);
  c->port = wait_listening_in (c->proc, log);
}

static void
collector_kill (Fleet     *f,
                Collector *c)
{
  kill9 (&c->proc);
  f->kills++;
}

/* Relay @k, on the port of its first start ever after, forwarding to
 * the next relay or to the first collector. */
static void
relay_start (Fleet *f,
             guint  k)
{
  Relay *r = &f->relays[k];
  g_autofree char *log = g_strdup_printf ("%s/%s-%u.log", f->dir, r->name, r->starts++);
  g_autofree char *port = g_strdup_printf ("%u", r->port);
  g_autofree char *upstream = g_strdup_printf ("127.0.0.1:%u", k + 1 < f->n_relays
                                               ? f->relays[k + 1].port : f->collectors[0].port);
  const char *args[] = { "--relay", "--verbose", "--port", port, "--tls-cert", f->cert,
                         "--tls-key", f->key, "--auth-file", f->keys, "--collect-to", upstream,
                         "--tls-fingerprint", f->fingerprint, "--auth-key-file", r->key_file,
                         "--spool", r->spool, "--trust-relay", "r1",
                         r->block ? "--block" : NULL, r->block, NULL };

  g_assert_null (r->proc);
  r->proc = spawn_logged (NULL, log, args);
  r->port = wait_listening_in (r->proc, log);
}

/* Agent @i's configuration: the collectors in @order (indices), or the
 * first relay; one schedule, a TCP stream of 256 KiB every 2 s over TLS. */
static void
agent_write_config (Fleet       *f,
                    guint        i,
                    const guint *order)
{
  Agent *a = &f->agents[i];
  g_autoptr(GString) s = g_string_new ("[agent]\ncollect-to = ");

  for (guint k = 0; k < f->n_collectors && f->n_relays == 0; k++)
    g_string_append_printf (s, "%s%s:%u", k ? ", " : "", f->collector_host,
                            f->collectors[order[k]].port);
  if (f->n_relays > 0)
    g_string_append_printf (s, "127.0.0.1:%u", f->relays[0].port);
  g_string_append_printf (s, "\ntls-fingerprint = %s\nauth-key-file = %s\nspool = %s\n\n"
                          "[stream]\ntarget = 127.0.0.1\nport = %u\ntest = TCP_STREAM\n"
                          "bytes = 256K\ntls-fingerprint = %s\nevery = 2s\n",
                          f->fingerprint, a->key_file, a->spool, f->server_port, f->fingerprint);
  g_assert_true (g_file_set_contents (a->config, s->str, -1, NULL));
}

static void
agent_start (Fleet    *f,
             guint     i,
             gboolean  once)
{
  Agent *a = &f->agents[i];
  g_autofree char *log = g_strdup_printf ("%s/%s-%u.log", f->dir, a->name, a->starts++);
  const char *args[] = { "--agent", "--config", a->config, once ? "--once" : NULL,
                         "--send-timeout", "120", NULL };

  g_assert_null (a->proc);
  a->proc = spawn_logged (f->agent_ns, log, args);
}

/* Starts the test server, the collectors not yet running and the agents,
 * each agent listing every collector, the first one rotating. */
static void
fleet_start (Fleet *f)
{
  fleet_start_server (f);
  for (guint k = 0; k < f->n_collectors; k++)
    if (f->collectors[k].proc == NULL)
      collector_start (f, &f->collectors[k]);
  for (guint k = f->n_relays; k-- > 0;)
    relay_start (f, k);
  for (guint i = 0; i < f->n_agents; i++)
    {
      guint order[G_N_ELEMENTS (f->collectors)];

      for (guint k = 0; k < f->n_collectors; k++)
        order[k] = (i + k) % f->n_collectors;
      agent_write_config (f, i, order);
      agent_start (f, i, FALSE);
    }
}

/* ---- Ids: the agents' logs and the database ---- */

/* Adds to @ids each report id agent @i logged, in all its logs. */
static void
agent_logged_ids (Fleet      *f,
                  guint       i,
                  GHashTable *ids)
{
  Agent *a = &f->agents[i];

  for (guint n = 0; n < a->starts; n++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.log", f->dir, a->name, n);
      g_autofree char *text = read_text (path);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

      for (guint l = 0; lines[l] != NULL; l++)
        {
          const char *at = strstr (lines[l], "; report ");
          g_autofree char *id = NULL;

          /* The agent's line for a finished (or failed) run it spooled. */
          if (at == NULL || strstr (lines[l], "Schedule “") == NULL)
            continue;
          id = g_strndup (at + strlen ("; report "), 36);
          if (!g_uuid_string_is_valid (id))
            g_error ("%s: a cut report line: %s", path, lines[l]);
          if (!g_hash_table_add (ids, g_steal_pointer (&id)))
            g_error ("%s: an id logged twice: %s", path, lines[l]);
        }
    }
}

static GHashTable *
logged_ids (Fleet *f)
{
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < f->n_agents; i++)
    if (g_strcmp0 (f->agents[i].name, f->blocked) != 0)
      agent_logged_ids (f, i, ids);
  return ids;
}

/* The ids in the database; each row's id must be there once. */
static GHashTable *
stored_ids (const char *location,
            guint      *duplicates)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = ws_store_open (location, &error);
  g_autoptr(GPtrArray) list = NULL;
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_assert_no_error (error);
  list = ws_store_list_ids (store, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < list->len; i++)
    if (!g_hash_table_add (ids, g_strdup (list->pdata[i])))
      (*duplicates)++;
  return ids;
}

static gint64
stored_count (const char *location)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = ws_store_open (location, &error);
  gint64 n;

  g_assert_no_error (error);
  n = ws_store_count (store, &error);
  g_assert_no_error (error);
  return n;
}

/* Polls the database until it holds at least @n rows. */
static void
wait_stored (Fleet      *f,
             const char *location,
             gint64      n,
             const char *why)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * USEC;
  gint64 have;

  while ((have = stored_count (location)) < n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s: %" G_GINT64_FORMAT " reports stored after %d s, waiting for %" G_GINT64_FORMAT
                 " (logs in %s)", why, have, DEADLINE_S, n, f->dir);
      g_usleep (100000);
    }
}

/* The ids of @a missing from @b, comma-separated, at most 10. */
static char *
missing_from (GHashTable *a,
              GHashTable *b,
              guint      *n)
{
  g_autoptr(GString) s = g_string_new (NULL);
  GHashTableIter iter;
  gpointer id;

  *n = 0;
  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    if (!g_hash_table_contains (b, id) && (*n)++ < 10)
      g_string_append_printf (s, "%s%s", s->len ? ", " : "", (char *) id);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Stops the agents, runs each once more with --once to empty its spool,
 * and compares the logged ids with the stored ones. */
static void
fleet_finish (Fleet      *f,
              const char *location)
{
  g_autoptr(GHashTable) logged = NULL;
  g_autoptr(GHashTable) stored = NULL;
  g_autofree char *missing = NULL;
  g_autofree char *unknown = NULL;
  guint duplicates = 0, n_missing, n_unknown;

  /* All at once: each may be in the middle of a test. */
  for (guint i = 0; i < f->n_agents; i++)
    g_subprocess_send_signal (f->agents[i].proc, SIGTERM);
  for (guint i = 0; i < f->n_agents; i++)
    {
      if (!wait_exit (f->agents[i].proc, EXIT_TIMEOUT_MS))
        g_error ("%s did not stop on SIGTERM (logs in %s)", f->agents[i].name, f->dir);
      g_clear_object (&f->agents[i].proc);
      agent_start (f, i, TRUE);
    }
  for (guint i = 0; i < f->n_agents; i++)
    {
      GSubprocess *p = f->agents[i].proc;

      if (!wait_exit (p, 180000) || !g_subprocess_get_if_exited (p)
          || g_subprocess_get_exit_status (p) != 0)
        g_error ("%s --once did not deliver its spool (logs in %s)", f->agents[i].name, f->dir);
      g_clear_object (&f->agents[i].proc);
    }
  logged = logged_ids (f);
  /* A relay acknowledged them from its spool: they go on from there. */
  if (f->n_relays > 0)
    wait_stored (f, location, g_hash_table_size (logged), "the relays' spools delivered");
  stored = stored_ids (location, &duplicates);
  missing = missing_from (logged, stored, &n_missing);
  unknown = missing_from (stored, logged, &n_unknown);
  g_test_message ("%u results logged by %u agents, %u stored, %u process kills, %u duplicates, "
                  "%u missing, %u unknown, %.1f s", g_hash_table_size (logged), f->n_agents,
                  g_hash_table_size (stored), f->kills, duplicates, n_missing, n_unknown,
                  (g_get_monotonic_time () - f->started_us) / 1e6);
  if (n_missing > 0)
    g_error ("%u logged results not stored: %s", n_missing, missing);
  if (n_unknown > 0)
    g_error ("%u stored results no agent logged: %s", n_unknown, unknown);
  g_assert_cmpuint (duplicates, ==, 0);
  g_assert_cmpuint (g_hash_table_size (logged), >, 0);
}

/* ---- The cases ---- */

/* 20 agents; the collector killed 10 times, each time after a random
 * number of new rows, and restarted on its port and database. */
static void
test_collector_kills (void)
{
  g_autofree char *db = NULL;
  Fleet f;
  Collector *c;

  fleet_init (&f, 20);
  db = g_build_filename (f.dir, "reports.db", NULL);
  c = fleet_add_collector (&f, db, NULL);
  fleet_start (&f);
  for (guint k = 0; k < 10; k++)
    {
      wait_stored (&f, db, stored_count (db) + g_test_rand_int_range (1, 15),
                   "before a collector kill");
      collector_kill (&f, c);
      collector_start (&f, c);
    }
  fleet_finish (&f, db);
  fleet_clear (&f);
}

/* 8 agents, one of them killed 10 times at random moments (a random
 * number of new rows apart) and restarted on the same spool. */
static void
test_agent_kills (void)
{
  g_autofree char *db = NULL;
  Fleet f;

  fleet_init (&f, 8);
  db = g_build_filename (f.dir, "reports.db", NULL);
  fleet_add_collector (&f, db, NULL);
  fleet_start (&f);
  for (guint k = 0; k < 10; k++)
    {
      guint i = g_test_rand_int_range (0, f.n_agents);

      wait_stored (&f, db, stored_count (db) + g_test_rand_int_range (1, 6), "before an agent kill");
      kill9 (&f.agents[i].proc);
      f.kills++;
      agent_start (&f, i, FALSE);
    }
  fleet_finish (&f, db);
  fleet_clear (&f);
}

/* Two collectors on one PostgreSQL database, every agent listing both
 * (half of them each first); one collector killed for good. */
static void
test_two_collectors_pg (void)
{
  g_autofree char *uri = NULL;
  g_autoptr(GHashTable) before = NULL;
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * USEC;
  Fleet f;

  if (pg.dir == NULL && pg.skip_reason == NULL)
    start_pg ();
  if (pg.skip_reason != NULL)
    {
      g_test_fail_printf ("no PostgreSQL 15: %s", pg.skip_reason);
      return;
    }
  uri = pg_new_database ();
  fleet_init (&f, 10);
  fleet_add_collector (&f, uri, NULL);
  fleet_add_collector (&f, uri, NULL);
  fleet_start (&f);
  wait_stored (&f, uri, 15, "both collectors storing");
  collector_kill (&f, &f.collectors[0]);
  before = logged_ids (&f);
  /* Every agent, also those that listed c1 first, delivers new runs. */
  for (guint i = 0; i < f.n_agents; i++)
    for (;;)
      {
        g_autoptr(GHashTable) mine = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GHashTable) stored = NULL;
        GHashTableIter iter;
        gpointer id;
        guint fresh = 0, duplicates = 0;

        agent_logged_ids (&f, i, mine);
        stored = stored_ids (uri, &duplicates);
        g_hash_table_iter_init (&iter, mine);
        while (g_hash_table_iter_next (&iter, &id, NULL))
          fresh += !g_hash_table_contains (before, id) && g_hash_table_contains (stored, id);
        if (fresh >= 2)
          break;
        if (g_get_monotonic_time () > deadline)
          g_error ("%s delivered %u new runs after c1 died (logs in %s)", f.agents[i].name, fresh, f.dir);
        g_usleep (200000);
      }
  fleet_finish (&f, uri);
  fleet_clear (&f);
}

/* ---- Relays ---- */

static gboolean
log_has (const char *dir,
         const char *name,
         guint       starts,
         const char *needle,
         guint      *count)
{
  guint n = 0;

  for (guint k = 0; k < starts; k++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.log", dir, name, k);
      g_autofree char *text = read_text (path);

      for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
        n++;
    }
  if (count != NULL)
    *count = n;
  return n > 0;
}

/* Until @name's logs hold @needle. */
static void
wait_log (Fleet      *f,
          const char *name,
          guint       starts,
          const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * USEC;

  while (!log_has (f->dir, name, starts, needle, NULL))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("%s logged no “%s” in %d s (logs in %s)", name, needle, DEADLINE_S, f->dir);
      g_usleep (100000);
    }
}

/* None of the blocked agent's runs is in the database. */
static void
assert_blocked_absent (Fleet      *f,
                       guint       i,
                       const char *location)
{
  g_autoptr(GHashTable) mine = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) stored = NULL;
  g_autofree char *leaked = NULL;
  guint duplicates = 0, n_mine, n_leaked;

  agent_logged_ids (f, i, mine);
  n_mine = g_hash_table_size (mine);
  stored = stored_ids (location, &duplicates);
  leaked = missing_from (mine, stored, &n_leaked);
  g_test_message ("%s, blocked: %u runs logged, %u not stored", f->agents[i].name, n_mine, n_leaked);
  g_assert_cmpuint (n_mine, >, 0);
  g_assert_cmpuint (n_leaked, ==, n_mine);
}

/* 6 agents report through a relay; the relay killed -9 at random moments
 * (a random number of new rows apart) and restarted on its spool. */
static void
test_relay_kills (void)
{
  g_autofree char *db = NULL;
  Fleet f;

  fleet_init (&f, 6);
  db = g_build_filename (f.dir, "reports.db", NULL);
  fleet_add_collector (&f, db, NULL);
  f.n_relays = 1;
  fleet_start (&f);
  for (guint k = 0; k < 3; k++)
    {
      wait_stored (&f, db, stored_count (db) + g_test_rand_int_range (1, 10), "before a relay kill");
      kill9 (&f.relays[0].proc);
      f.kills++;
      relay_start (&f, 0);
    }
  fleet_finish (&f, db);
  fleet_clear (&f);
}

/* A relay with --block a01: a01 is told so, in one line however often it
 * tries, and stored nowhere; a00 reports through the same relay. */
static void
test_relay_block (void)
{
  const char *line = "Agent a01 is blocked";
  g_autofree char *db = NULL;
  Fleet f;
  guint n;

  fleet_init (&f, 2);
  db = g_build_filename (f.dir, "reports.db", NULL);
  fleet_add_collector (&f, db, NULL);
  f.n_relays = 1;
  f.relays[0].block = "a01";
  fleet_start (&f);
  wait_log (&f, "a01", f.agents[1].starts, line);
  wait_stored (&f, db, 3, "a00 through the relay");
  /* a01 has tried again meanwhile: its backoff starts at 1 s. */
  wait_log (&f, "r1", f.relays[0].starts, "agent a01 refused: blocked");
  g_assert_true (log_has (f.dir, "a01", f.agents[1].starts, line, &n));
  g_assert_cmpuint (n, ==, 1);
  g_assert_false (log_has (f.dir, "a00", f.agents[0].starts, "blocked", NULL));
  assert_blocked_absent (&f, 1, db);
  fleet_clear (&f);
}

/* Agents → r1 → r2 → collector, r2 with --block a02: what r1 forwards
 * for a02 is REJECTED at r2; every other run is stored once. */
static void
test_relay_chain (void)
{
  g_autofree char *db = NULL;
  Fleet f;

  fleet_init (&f, 3);
  db = g_build_filename (f.dir, "reports.db", NULL);
  fleet_add_collector (&f, db, NULL);
  f.n_relays = 2;
  f.relays[1].block = "a02";
  f.blocked = "a02";
  fleet_start (&f);
  wait_stored (&f, db, 6, "through two relays");
  wait_log (&f, "r2", f.relays[1].starts, "rejected: Agent a02 is blocked");
  fleet_finish (&f, db);
  assert_blocked_absent (&f, 2, db);
  fleet_clear (&f);
}

/* ---- nftables between two network namespaces ---- */

typedef struct {
  char *collector;   /* the collector's namespace */
  char *agents;      /* the agents' and the test server's */
  int watcher_stdin; /* its end closes when we exit: the watcher removes both */
} Netns;

static gboolean
run_command (const char  *command,
             char       **why)
{
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  if (g_spawn_command_line_sync (command, NULL, &err, &status, &error)
      && g_spawn_check_wait_status (status, &error))
    return TRUE;
  *why = g_strdup_printf ("%s: %s %s", command, error->message, err ? err : "");
  return FALSE;
}

/* Two namespaces joined by a veth pair; FALSE with the reason. Nothing
 * outside them is touched. */
static gboolean
netns_setup (Netns  *ns,
             char  **why)
{
  g_autofree char *script = NULL;
  const char *argv[] = { "/bin/sh", "-c", NULL, NULL };
  g_autoptr(GError) error = NULL;
  GPid pid;

  ns->collector = g_strdup_printf ("ws-mc-%d", (int) getpid ());
  ns->agents = g_strdup_printf ("ws-ma-%d", (int) getpid ());
  script = g_strdup_printf ("read -r x; ip netns del %s; ip netns del %s", ns->collector, ns->agents);
  argv[2] = script;
  if (!g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &pid,
                                 &ns->watcher_stdin, NULL, NULL, &error))
    return *why = g_strdup (error->message), FALSE;
  g_spawn_close_pid (pid);
  {
    g_autofree char *add_c = g_strdup_printf ("ip netns add %s", ns->collector);
    g_autofree char *add_a = g_strdup_printf ("ip netns add %s", ns->agents);
    g_autofree char *lo_c = g_strdup_printf ("ip -n %s link set lo up", ns->collector);
    g_autofree char *lo_a = g_strdup_printf ("ip -n %s link set lo up", ns->agents);
    g_autofree char *veth = g_strdup_printf ("ip -n %s link add wsmc type veth peer name wsma netns %s",
                                             ns->collector, ns->agents);
    g_autofree char *addr_c = g_strdup_printf ("ip -n %s addr add " NS_COLLECTOR_ADDR "/30 dev wsmc",
                                               ns->collector);
    g_autofree char *addr_a = g_strdup_printf ("ip -n %s addr add " NS_AGENTS_ADDR "/30 dev wsma",
                                               ns->agents);
    g_autofree char *up_c = g_strdup_printf ("ip -n %s link set wsmc up", ns->collector);
    g_autofree char *up_a = g_strdup_printf ("ip -n %s link set wsma up", ns->agents);
    const char *steps[] = { add_c, add_a, lo_c, lo_a, veth, addr_c, addr_a, up_c, up_a };

    for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
      if (!run_command (steps[i], why))
        return FALSE;
  }
  return TRUE;
}

static void
netns_clear (Netns *ns)
{
  if (ns->watcher_stdin >= 0)
    close (ns->watcher_stdin);
  g_free (ns->collector);
  g_free (ns->agents);
}

/* Drops every TCP packet to @port in the collector's namespace: SYNs and
 * the segments of connections under way. */
static void
nft_block (Netns *ns,
           guint  port,
           gboolean block)
{
  g_autofree char *why = NULL;
  g_autofree char *table = g_strdup_printf ("ip netns exec %s nft add table inet wsblock", ns->collector);
  g_autofree char *chain = g_strdup_printf ("ip netns exec %s nft add chain inet wsblock input "
                                            "'{ type filter hook input priority 0; }'", ns->collector);
  g_autofree char *rule = g_strdup_printf ("ip netns exec %s nft add rule inet wsblock input "
                                           "tcp dport %u drop", ns->collector, port);
  g_autofree char *drop = g_strdup_printf ("ip netns exec %s nft delete table inet wsblock",
                                           ns->collector);

  if (block ? !run_command (table, &why) || !run_command (chain, &why) || !run_command (rule, &why)
            : !run_command (drop, &why))
    g_error ("nftables: %s", why);
}

static guint
agent_lines_with (Fleet      *f,
                  guint       i,
                  const char *needle)
{
  guint n = 0;

  for (guint k = 0; k < f->agents[i].starts; k++)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s-%u.log", f->dir, f->agents[i].name, k);
      g_autofree char *text = read_text (path);

      for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
        n++;
    }
  return n;
}

/* Until every agent has more lines with @needle than @before says. */
static void
wait_every_agent (Fleet       *f,
                  const guint *before,
                  const char  *needle)
{
  gint64 deadline = g_get_monotonic_time () + DEADLINE_S * USEC;

  for (guint i = 0; i < f->n_agents; i++)
    while (agent_lines_with (f, i, needle) <= before[i])
      {
        if (g_get_monotonic_time () > deadline)
          g_error ("%s logged no new “%s” in %d s (logs in %s)", f->agents[i].name, needle,
                   DEADLINE_S, f->dir);
        g_usleep (100000);
      }
}

static void
count_agent_lines (Fleet      *f,
                   const char *needle,
                   guint      *counts)
{
  for (guint i = 0; i < f->n_agents; i++)
    counts[i] = agent_lines_with (f, i, needle);
}

/* The collector's port dropped while 5 agents in another namespace go on
 * testing: each logs that it cannot deliver, and once the rule is gone
 * that it delivered again; then nothing is missing. */
static void
test_nft_block (void)
{
  const char *failed = "Cannot deliver reports to ";
  const char *again = "Reports delivered to ";
  g_autofree char *why = NULL;
  g_autofree char *db = NULL;
  guint failures[MAX_AGENTS] = { 0 }, recoveries[MAX_AGENTS] = { 0 };
  Netns ns = { .watcher_stdin = -1 };
  Fleet f;

  if (getuid () != 0)
    {
      g_test_fail_printf ("network namespaces and nftables need root (CI runs as root)");
      return;
    }
  if (!netns_setup (&ns, &why))
    {
      g_test_fail_printf ("cannot make the network namespaces: %s", why);
      netns_clear (&ns);
      return;
    }
  fleet_init (&f, 5);
  f.agent_ns = ns.agents;
  f.collector_host = NS_COLLECTOR_ADDR;
  db = g_build_filename (f.dir, "reports.db", NULL);
  fleet_add_collector (&f, db, ns.collector);
  fleet_start (&f);
  wait_stored (&f, db, 5, "delivery across the veth pair");
  count_agent_lines (&f, failed, failures);
  count_agent_lines (&f, again, recoveries);
  nft_block (&ns, f.collectors[0].port, TRUE);
  wait_every_agent (&f, failures, failed);
  {
    /* And the agents kept testing meanwhile: new runs logged. */
    g_autoptr(GHashTable) blocked = logged_ids (&f);
    guint n = g_hash_table_size (blocked);
    gint64 deadline = g_get_monotonic_time () + DEADLINE_S * USEC;

    while (g_hash_table_size (blocked) < n + f.n_agents && g_get_monotonic_time () < deadline)
      {
        g_usleep (200000);
        g_clear_pointer (&blocked, g_hash_table_unref);
        blocked = logged_ids (&f);
      }
    g_assert_cmpuint (g_hash_table_size (blocked), >=, n + f.n_agents);
  }
  nft_block (&ns, f.collectors[0].port, FALSE);
  wait_every_agent (&f, recoveries, again);
  fleet_finish (&f, db);
  fleet_clear (&f);
  netns_clear (&ns);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/monitor/collector-kills", test_collector_kills);
  g_test_add_func ("/monitor/agent-kills", test_agent_kills);
  g_test_add_func ("/monitor/nft-block", test_nft_block);
  g_test_add_func ("/monitor/two-collectors-pg", test_two_collectors_pg);
  g_test_add_func ("/monitor/relay-kills", test_relay_kills);
  g_test_add_func ("/monitor/relay-block", test_relay_block);
  g_test_add_func ("/monitor/relay-chain", test_relay_chain);
  return g_test_run ();
}

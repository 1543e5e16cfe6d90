/* test-store.c — the report stores: the same tests against SQLite and a
 * real PostgreSQL 15 this test starts in a temporary folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <math.h>
#include <pwd.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ws-pg-util.h"
#include "ws-store-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3, sqlite3_close)

typedef enum {
  BACKEND_SQLITE,
  BACKEND_PG,
} Backend;

static char *tmp_dir;

/* A fresh location per test: a new file, or a new database. */
static char *
new_location (Backend backend)
{
  if (backend == BACKEND_SQLITE)
    {
      static guint n;
      g_autofree char *file = g_strdup_printf ("store-%u/reports.db", ++n);

      return g_build_filename (tmp_dir, file, NULL);
    }
  return pg_new_database ();
}

/* A store at a fresh location, which goes to @location. */
static WsStore *
open_store (Backend   backend,
            char    **location)
{
  g_autoptr(GError) error = NULL;
  WsStore *store;

  *location = new_location (backend);
  store = ws_store_open (*location, &error);
  g_assert_no_error (error);
  return store;
}

static gboolean
skip_unless_ready (Backend backend)
{
  if (backend == BACKEND_PG && pg.skip_reason != NULL)
    {
      g_test_skip (pg.skip_reason);
      return TRUE;
    }
  return FALSE;
}

static void
set_latency (WsLatency *l,
             gdouble    p50,
             gdouble    p90,
             gdouble    p99)
{
  l->count = 100;
  l->min = p50 / 2;
  l->mean = p50 * 1.1;
  l->p50 = p50;
  l->p90 = p90;
  l->p99 = p99;
  l->p999 = p99 + 1;
  l->max = p99 + 2;
  l->stddev = 0.5;
}

/* A speed test of known figures: 100 Mbit/s down, 20 up. */
static WsResult *
speed_result (gint64 start_unix)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup ("speed.example");
  r->port = 5201;
  r->mode = WS_TEST_SPEED;
  r->direction = WS_DIRECTION_BIDIR;
  r->streams = 4;
  r->duration_s = 10;
  r->start_time = g_date_time_new_from_unix_utc (start_unix);
  r->elapsed_s = r->upload_s = r->download_s = 10;
  r->download.measured = r->upload.measured = TRUE;
  r->download.receiver_bytes = r->download.sender_bytes = 125000000;
  r->upload.receiver_bytes = r->upload.sender_bytes = 25000000;
  set_latency (&r->idle_latency, 1.25, 2.5, 4.75);
  set_latency (&r->loaded_latency, 30.5, 61, 97.125);
  set_latency (&r->loaded_latency_download, 30.5, 61, 97.125);
  set_latency (&r->loaded_latency_upload, 30.5, 61, 97.125);
  return r;
}

static WsResult *
udp_result (void)
{
  WsResult *r = speed_result (g_get_real_time () / G_USEC_PER_SEC);

  r->mode = WS_TEST_UDP_STREAM;
  r->direction = WS_DIRECTION_DOWNLOAD;
  r->upload.measured = FALSE;
  r->download.udp = TRUE;
  r->download.sender_packets = 1000;
  r->download.receiver_packets = 975;
  r->download.lost = 25;
  memset (&r->idle_latency, 0, sizeof r->idle_latency);
  memset (&r->loaded_latency, 0, sizeof r->loaded_latency);
  return r;
}

static WsResult *
rr_result (void)
{
  WsResult *r = speed_result (g_get_real_time () / G_USEC_PER_SEC);

  r->mode = WS_TEST_TCP_RR;
  r->download.measured = r->upload.measured = FALSE;
  memset (&r->idle_latency, 0, sizeof r->idle_latency);
  memset (&r->loaded_latency, 0, sizeof r->loaded_latency);
  r->transactions = 10000;
  r->requests_sent = 10000;
  set_latency (&r->latency, 0.0625, 0.125, 0.5);
  return r;
}

static WsReport *
report_for (WsResult   *result,
            const char *id)
{
  g_autofree char *uuid = id ? NULL : g_uuid_string_random ();
  WsReport *report = ws_report_new (id ? id : uuid, "agent-1", result);

  ws_result_unref (result);
  report->local_address = g_strdup ("192.0.2.7:53210");
  report->seen_address = g_strdup ("198.51.100.1:40001");
  report->server_tests = 3;
  return report;
}

static void
assert_one_line (const GError *error)
{
  g_assert_nonnull (error);
  g_test_message ("error: %s", error->message);
  g_assert_null (strchr (error->message, '\n'));
  g_assert_cmpuint (strlen (error->message), >, 10);
}

/* add + duplicate ----------------------------------------------------- */

static void
test_add_duplicate (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(WsReport) report = NULL;
  g_autoptr(WsReport) again = NULL;
  g_autoptr(WsReport) other = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GError) error = NULL;
  WsStoreOutcome outcome, outcomes[2];
  WsReport *batch[2];

  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);

  report = report_for (speed_result (1764000000), "0F8FAD5B-D9CB-469F-A165-70867728950E");
  ws_store_add (store, report, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, WS_STORE_NEW);
  /* The same id, in lowercase, with other figures: still the same report. */
  again = report_for (udp_result (), "0f8fad5b-d9cb-469f-a165-70867728950e");
  g_assert_true (ws_store_add (store, again, &outcome, &error));
  g_assert_cmpint (outcome, ==, WS_STORE_DUPLICATE);
  g_assert_cmpint (ws_store_count (store, &error), ==, 1);

  other = report_for (rr_result (), NULL);
  batch[0] = other;
  batch[1] = report;
  g_assert_true (ws_store_add_many (store, batch, 2, outcomes, &error));
  g_assert_no_error (error);
  g_assert_cmpint (outcomes[0], ==, WS_STORE_NEW);
  g_assert_cmpint (outcomes[1], ==, WS_STORE_DUPLICATE);

  ids = ws_store_list_ids (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (ids, "0f8fad5b-d9cb-469f-a165-70867728950e",
                                                   g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (ids, other->id, g_str_equal, NULL));
  g_assert_true (ws_store_has_id (store, "0F8FAD5B-D9CB-469F-A165-70867728950E", &error));
  g_assert_false (ws_store_has_id (store, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_no_error (error);

  /* A bad report is refused with a reason; nothing of its batch stays. */
  g_clear_pointer (&other, ws_report_free);
  other = report_for (rr_result (), NULL);
  g_free (again->id);
  again->id = g_strdup ("not-a-uuid");
  batch[0] = other;
  batch[1] = again;
  g_assert_false (ws_store_add_many (store, batch, 2, outcomes, &error));
  assert_one_line (error);
  g_assert_cmpint (ws_store_count (store, NULL), ==, 2);
  g_assert_false (ws_store_has_id (store, other->id, NULL));
}

/* Two collectors, four threads, overlapping ids -------------------------- */

#define N_IDS 400
#define N_WORKERS 4
#define WINDOW 200

typedef struct {
  WsStore *store;
  char **ids;
  guint first;
  guint32 seed;
  GArray *new_ids;      /* guint: indices this worker stored first */
  GError *error;
} Worker;

static gpointer
worker_run (gpointer data)
{
  Worker *w = data;
  g_autoptr(GRand) rand = g_rand_new_with_seed (w->seed);
  guint order[WINDOW];

  for (guint i = 0; i < WINDOW; i++)
    order[i] = (w->first + i) % N_IDS;
  for (guint i = WINDOW - 1; i > 0; i--)
    {
      guint j = g_rand_int_range (rand, 0, i + 1), t = order[i];

      order[i] = order[j];
      order[j] = t;
    }
  for (guint done = 0; done < WINDOW && w->error == NULL;)
    {
      guint n = g_rand_int_range (rand, 1, 5);
      WsReport *batch[4];
      WsStoreOutcome outcomes[4];

      n = MIN (n, WINDOW - done);
      for (guint i = 0; i < n; i++)
        batch[i] = report_for (speed_result (1764000000 + order[done + i]), w->ids[order[done + i]]);
      if (ws_store_add_many (w->store, batch, n, outcomes, &w->error))
        for (guint i = 0; i < n; i++)
          if (outcomes[i] == WS_STORE_NEW)
            g_array_append_val (w->new_ids, order[done + i]);
      for (guint i = 0; i < n; i++)
        ws_report_free (batch[i]);
      done += n;
    }
  return NULL;
}

static void
assert_exactly (WsStore  *store,
                char    **ids,
                guint     n_ids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stored = ws_store_list_ids (store, &error);
  g_autoptr(GHashTable) want = g_hash_table_new (g_str_hash, g_str_equal);

  g_assert_no_error (error);
  for (guint i = 0; i < n_ids; i++)
    g_hash_table_add (want, ids[i]);
  for (guint i = 0; i < stored->len; i++)
    if (!g_hash_table_remove (want, stored->pdata[i]))
      g_error ("stored twice or never sent: %s", (char *) stored->pdata[i]);
  g_assert_cmpuint (g_hash_table_size (want), ==, 0);
}

static void
test_concurrent (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) a = NULL;
  g_autoptr(WsStore) b = NULL;
  g_autoptr(GError) error = NULL;
  char *ids[N_IDS + 1] = { NULL };
  guint firsts[N_IDS] = { 0 };
  Worker workers[N_WORKERS];
  GThread *threads[N_WORKERS];

  if (skip_unless_ready (backend))
    return;
  a = open_store (backend, &location);
  b = ws_store_open (location, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < N_IDS; i++)
    ids[i] = g_uuid_string_random ();

  for (guint t = 0; t < N_WORKERS; t++)
    {
      workers[t] = (Worker) { t % 2 ? b : a, ids, t * (N_IDS / N_WORKERS), g_test_rand_int (),
                              g_array_new (FALSE, FALSE, sizeof (guint)), NULL };
      threads[t] = g_thread_new ("collector", worker_run, &workers[t]);
    }
  for (guint t = 0; t < N_WORKERS; t++)
    {
      g_thread_join (threads[t]);
      g_assert_no_error (workers[t].error);
      for (guint i = 0; i < workers[t].new_ids->len; i++)
        firsts[g_array_index (workers[t].new_ids, guint, i)]++;
      g_array_unref (workers[t].new_ids);
    }
  /* Each id was sent by two workers: one was told "new", the other
   * "duplicate", and the database holds it once. */
  for (guint i = 0; i < N_IDS; i++)
    g_assert_cmpuint (firsts[i], ==, 1);
  assert_exactly (a, ids, N_IDS);
  assert_exactly (b, ids, N_IDS);
  for (guint i = 0; i < N_IDS; i++)
    g_free (ids[i]);
}

/* Throughput (only with -m perf) -------------------------------------------- */

#define PERF_THREADS 4
#define PERF_REPORTS 1000   /* per thread */

typedef struct {
  WsStore *store;
  guint batch;
  gint64 *latency_us;      /* per add call */
} PerfWorker;

static gpointer
perf_run (gpointer data)
{
  PerfWorker *w = data;
  g_autoptr(GError) error = NULL;

  for (guint done = 0, call = 0; done < PERF_REPORTS; done += w->batch, call++)
    {
      WsReport *batch[64];
      WsStoreOutcome outcomes[64];
      gint64 start;

      for (guint i = 0; i < w->batch; i++)
        batch[i] = report_for (speed_result (1764000000 + done + i), NULL);
      start = g_get_monotonic_time ();
      g_assert_true (ws_store_add_many (w->store, batch, w->batch, outcomes, &error));
      w->latency_us[call] = g_get_monotonic_time () - start;
      for (guint i = 0; i < w->batch; i++)
        ws_report_free (batch[i]);
    }
  g_assert_no_error (error);
  return NULL;
}

static int
compare_int64 (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
perf_round (WsStore *store,
            guint    batch)
{
  guint calls = PERF_REPORTS / batch;
  g_autofree gint64 *latency = g_new0 (gint64, PERF_THREADS * calls);
  PerfWorker workers[PERF_THREADS];
  GThread *threads[PERF_THREADS];
  gint64 start = g_get_monotonic_time ();
  gdouble seconds;

  for (guint t = 0; t < PERF_THREADS; t++)
    {
      workers[t] = (PerfWorker) { store, batch, latency + t * calls };
      threads[t] = g_thread_new ("perf", perf_run, &workers[t]);
    }
  for (guint t = 0; t < PERF_THREADS; t++)
    g_thread_join (threads[t]);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  qsort (latency, PERF_THREADS * calls, sizeof *latency, compare_int64);
  g_test_message ("%u threads, %u reports per call: %.0f reports/s, call p50 %.1f ms,"
                  " p99 %.1f ms", PERF_THREADS, batch, PERF_THREADS * PERF_REPORTS / seconds,
                  latency[PERF_THREADS * calls / 2] / 1e3,
                  latency[PERF_THREADS * calls * 99 / 100] / 1e3);
}

static void
test_throughput (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;

  if (!g_test_perf ())
    {
      g_test_skip ("a measurement: run with -m perf");
      return;
    }
  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);
  perf_round (store, 1);
  perf_round (store, 20);
  g_assert_cmpint (ws_store_count (store, NULL), ==, 2 * PERF_THREADS * PERF_REPORTS);
}

/* The indexed columns ------------------------------------------------------ */

static void
assert_figures (WsStore  *store,
                WsReport *report)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = ws_result_to_json (report->result);
  g_autofree char *want_json = json_to_string (root, FALSE);
  g_autofree char *json = NULL;
  WsReportFigures want, got;

  ws_report_get_figures (report, root, &want);
  g_assert_true (ws_store_lookup (store, report->id, &got, &json, &error));
  g_assert_no_error (error);
  g_assert_cmpint (got.start_time_us, ==, want.start_time_us);
  g_assert_cmpint (got.mode, ==, report->result->mode);
  g_assert_cmpint (got.failed, ==, report->error != NULL);
  for (guint i = 0; i < WS_REPORT_N_NUMBERS; i++)
    {
      g_test_message ("%s: %g", ws_report_number_column (i), got.numbers[i]);
      if (isnan (want.numbers[i]))
        g_assert_true (isnan (got.numbers[i]));
      else
        g_assert_cmpfloat (got.numbers[i], ==, want.numbers[i]);
    }
  /* The result is kept whole, byte for byte as written. */
  g_assert_cmpstr (json, ==, want_json);
}

static void
test_figures (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsReport) speed = NULL;
  g_autoptr(WsReport) udp = NULL;
  g_autoptr(WsReport) rr = NULL;
  g_autoptr(GDateTime) start = NULL;
  WsReportFigures f;

  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);
  speed = report_for (speed_result (1764000000), NULL);
  start = speed->result->start_time;
  speed->result->start_time = g_date_time_add (start, 123456);
  udp = report_for (udp_result (), NULL);
  rr = report_for (rr_result (), NULL);
  rr->error = g_strdup ("the server went away");
  g_assert_true (ws_store_add (store, speed, NULL, &error));
  g_assert_true (ws_store_add (store, udp, NULL, &error));
  g_assert_true (ws_store_add (store, rr, NULL, &error));
  g_assert_no_error (error);
  assert_figures (store, speed);
  assert_figures (store, udp);
  assert_figures (store, rr);

  /* And the figures are the result's, not only what the JSON says. */
  g_assert_true (ws_store_lookup (store, speed->id, &f, NULL, &error));
  g_assert_cmpint (f.start_time_us, ==, (gint64) 1764000000 * G_USEC_PER_SEC + 123456);
  g_assert_cmpfloat (f.numbers[WS_REPORT_DOWNLOAD_BPS], ==, 100e6);
  g_assert_cmpfloat (f.numbers[WS_REPORT_UPLOAD_BPS], ==, 20e6);
  g_assert_cmpfloat (f.numbers[WS_REPORT_IDLE_P50_MS], ==, 1.25);
  g_assert_cmpfloat (f.numbers[WS_REPORT_IDLE_P90_MS], ==, 2.5);
  g_assert_cmpfloat (f.numbers[WS_REPORT_IDLE_P99_MS], ==, 4.75);
  g_assert_cmpfloat (f.numbers[WS_REPORT_LOADED_P99_MS], ==, 97.125);
  g_assert_true (isnan (f.numbers[WS_REPORT_RR_P50_MS]));
  g_assert_false (f.failed);
  g_assert_true (ws_store_lookup (store, udp->id, &f, NULL, &error));
  g_assert_cmpfloat (f.numbers[WS_REPORT_LOSS_PERCENT], ==, 2.5);
  g_assert_true (isnan (f.numbers[WS_REPORT_UPLOAD_BPS]));
  g_assert_cmpint (f.mode, ==, WS_TEST_UDP_STREAM);
  g_assert_true (ws_store_lookup (store, rr->id, &f, NULL, &error));
  g_assert_cmpfloat (f.numbers[WS_REPORT_RR_P90_MS], ==, 0.125);
  g_assert_cmpfloat (f.numbers[WS_REPORT_LOSS_PERCENT], ==, 0);
  g_assert_true (f.failed);
}

/* Retention ---------------------------------------------------------------- */

/* More than one of prune's batches, a year old. */
static void
add_old_reports (WsStore   *store,
                 GDateTime *now,
                 guint      n)
{
  g_autoptr(GError) error = NULL;
  gint64 old = g_date_time_to_unix (now) - 365 * 86400;

  for (guint done = 0; done < n;)
    {
      WsReport *batch[500];
      WsStoreOutcome outcomes[500];
      guint k = MIN (n - done, G_N_ELEMENTS (batch));

      for (guint i = 0; i < k; i++)
        batch[i] = report_for (speed_result (old - done - i), NULL);
      g_assert_true (ws_store_add_many (store, batch, k, outcomes, &error));
      for (guint i = 0; i < k; i++)
        ws_report_free (batch[i]);
      done += k;
    }
  g_assert_no_error (error);
}

static void
test_prune (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  static const int age_days[] = { 400, 181, 179, 1, 0 };
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) cutoff = g_date_time_add_days (now, -180);
  char *kept[G_N_ELEMENTS (age_days)];
  guint n_kept = 0;

  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);
  for (guint i = 0; i < G_N_ELEMENTS (age_days); i++)
    {
      g_autoptr(GDateTime) start = g_date_time_add_days (now, -age_days[i]);
      g_autoptr(WsReport) report = report_for (speed_result (g_date_time_to_unix (start)), NULL);

      g_assert_true (ws_store_add (store, report, NULL, &error));
      if (age_days[i] < 180)
        kept[n_kept++] = g_strdup (report->id);
    }
  add_old_reports (store, now, WS_STORE_PRUNE_BATCH + 3);
  g_assert_cmpint (ws_store_prune (store, cutoff, &error), ==, 2 + WS_STORE_PRUNE_BATCH + 3);
  g_assert_no_error (error);
  assert_exactly (store, kept, n_kept);
  g_assert_cmpint (ws_store_prune (store, cutoff, &error), ==, 0);
  for (guint i = 0; i < n_kept; i++)
    g_free (kept[i]);
}

/* Schema versions ---------------------------------------------------------- */

/* Version 1 as a collector of that version wrote it, with one report. */
static const char v1_sqlite[] =
  "CREATE TABLE schema_version (version INTEGER NOT NULL);"
  "INSERT INTO schema_version VALUES (1);"
  "CREATE TABLE reports (id TEXT PRIMARY KEY, received_at INTEGER NOT NULL,"
  " agent TEXT NOT NULL, target TEXT NOT NULL, port INTEGER NOT NULL, test TEXT NOT NULL,"
  " start_time INTEGER NOT NULL, download_bps REAL, upload_bps REAL,"
  " idle_latency_p50_ms REAL, loaded_latency_p50_ms REAL, latency_p50_ms REAL,"
  " loss_percent REAL, failed INTEGER NOT NULL, json TEXT NOT NULL);"
  "CREATE INDEX reports_by_start_time ON reports (start_time);"
  "CREATE INDEX reports_by_agent ON reports (agent, start_time);"
  "INSERT INTO reports VALUES ('6ba7b810-9dad-41d1-80b4-00c04fd430c8', 1764000000000000,"
  " 'old-agent', 'old.example', 5201, 'TCP_STREAM', 1764000000000000, 9.5e8, NULL,"
  " 0.5, 7.25, NULL, NULL, 0, '{}');";

static const char v1_pg[] =
  "CREATE TABLE schema_version (version integer NOT NULL);"
  "INSERT INTO schema_version VALUES (1);"
  "CREATE TABLE reports (id uuid PRIMARY KEY, received_at timestamptz NOT NULL,"
  " agent text NOT NULL, target text NOT NULL, port integer NOT NULL, test text NOT NULL,"
  " start_time timestamptz NOT NULL, download_bps double precision,"
  " upload_bps double precision, idle_latency_p50_ms double precision,"
  " loaded_latency_p50_ms double precision, latency_p50_ms double precision,"
  " loss_percent double precision, failed boolean NOT NULL, json json NOT NULL);"
  "CREATE INDEX reports_by_start_time ON reports (start_time);"
  "CREATE INDEX reports_by_agent ON reports (agent, start_time);"
  "INSERT INTO reports VALUES ('6ba7b810-9dad-41d1-80b4-00c04fd430c8',"
  " to_timestamp(1764000000), 'old-agent', 'old.example', 5201, 'TCP_STREAM',"
  " to_timestamp(1764000000), 9.5e8, NULL, 0.5, 7.25, NULL, NULL, false, '{}');";

/* Runs @sql on @location as it is, not through a store; returns the first
 * value of the last statement's first row, if any. */
static char *
raw_sql (Backend     backend,
         const char *location,
         const char *sql)
{
  if (backend == BACKEND_SQLITE)
    {
      g_autoptr(sqlite3) db = NULL;
      g_autofree char *dir = g_path_get_dirname (location);
      char **table = NULL;
      int rows, columns;
      char *value;

      g_assert_no_errno (g_mkdir_with_parents (dir, 0700));
      g_assert_cmpint (sqlite3_open (location, &db), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_get_table (db, sql, &table, &rows, &columns, NULL), ==, SQLITE_OK);
      value = rows > 0 ? g_strdup (table[columns]) : NULL;
      sqlite3_free_table (table);
      return value;
    }
  else
    {
      g_autoptr(PGconn) conn = PQconnectdb (location);
      g_autoptr(PGresult) res = PQexec (conn, sql);

      g_assert_cmpstr (PQresultErrorMessage (res), ==, "");
      return PQntuples (res) > 0 ? g_strdup (PQgetvalue (res, 0, 0)) : NULL;
    }
}

static void
test_migration (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  const char *old_id = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";
  g_autofree char *location = NULL;
  g_autofree char *version = NULL;
  g_autofree char *columns = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(WsReport) report = NULL;
  g_autoptr(GError) error = NULL;
  WsReportFigures f;

  if (skip_unless_ready (backend))
    return;
  location = new_location (backend);
  g_free (raw_sql (backend, location, backend == BACKEND_SQLITE ? v1_sqlite : v1_pg));
  store = ws_store_open (location, &error);
  g_assert_no_error (error);

  version = raw_sql (backend, location, "SELECT max(version) FROM schema_version");
  g_assert_cmpstr (version, ==, G_STRINGIFY (WS_STORE_SCHEMA_VERSION));
  g_free (version);
  version = raw_sql (backend, location, backend == BACKEND_SQLITE
                     ? "SELECT count(*) FROM sqlite_master WHERE name = 'reports_for_analysis'"
                     : "SELECT count(*) FROM pg_indexes WHERE indexname = 'reports_for_analysis'");
  g_assert_cmpstr (version, ==, "1");
  columns = raw_sql (backend, location, backend == BACKEND_SQLITE
                     ? "SELECT count(*) FROM pragma_table_info('reports')"
                     : "SELECT count(*) FROM information_schema.columns WHERE table_name = 'reports'");
  g_assert_cmpstr (columns, ==, "25");
  /* The old row is there, with what version 1 knew and nothing else. */
  g_assert_true (ws_store_lookup (store, old_id, &f, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (f.start_time_us, ==, (gint64) 1764000000 * G_USEC_PER_SEC);
  g_assert_cmpint (f.mode, ==, WS_TEST_TCP_STREAM);
  g_assert_cmpfloat (f.numbers[WS_REPORT_DOWNLOAD_BPS], ==, 9.5e8);
  g_assert_cmpfloat (f.numbers[WS_REPORT_LOADED_P50_MS], ==, 7.25);
  g_assert_true (isnan (f.numbers[WS_REPORT_LOADED_P90_MS]));
  report = report_for (speed_result (1764000000), NULL);
  g_assert_true (ws_store_add (store, report, NULL, &error));
  g_assert_no_error (error);
  assert_figures (store, report);
  g_assert_cmpint (ws_store_count (store, NULL), ==, 2);

  /* Opening it again migrates nothing. */
  g_clear_object (&store);
  store = ws_store_open (location, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ws_store_count (store, NULL), ==, 2);
}

/* The server_tests column of the row stored for @report, -1 for NULL. */
static gint
stored_server_tests (Backend         backend,
                     const char     *location,
                     const WsReport *report)
{
  g_autofree char *sql = g_strdup_printf ("SELECT coalesce(server_tests, -1) FROM reports"
                                          " WHERE id = '%s'", report->id);
  g_autofree char *value = raw_sql (backend, location, sql);

  g_assert_nonnull (value);
  return atoi (value);
}

/* A report says how busy the test's server was as the server told the
 * client, unless its maker knows better; unknown is NULL, not 0. */
static void
test_server_tests (gconstpointer data)
{
  const struct {
    gint told;    /* the result's, from the server */
    gint own;     /* set on the report; -2: left as made */
    gint stored;  /* -1: NULL */
  } cases[] = {
    { 2, -2, 2 },
    { 0, -2, 0 },
    { -1, -2, -1 },
    { -1, 5, 5 },
  };
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;

  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(WsResult) result = speed_result (1764000000 + i);
      g_autofree char *id = g_uuid_string_random ();
      g_autoptr(WsReport) report = NULL;
      g_autoptr(GError) error = NULL;

      result->server_tests = cases[i].told;
      report = ws_report_new (id, "agent-1", result);
      g_assert_cmpint (report->server_tests, ==, cases[i].told);
      if (cases[i].own != -2)
        report->server_tests = cases[i].own;
      g_assert_true (ws_store_add (store, report, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (stored_server_tests (backend, location, report), ==, cases[i].stored);
    }
}

static void
test_newer (gconstpointer data)
{
  Backend backend = GPOINTER_TO_INT (data);
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_unless_ready (backend))
    return;
  store = open_store (backend, &location);
  g_clear_object (&store);
  g_free (raw_sql (backend, location, "UPDATE schema_version SET version = 99"));
  store = ws_store_open (location, &error);
  g_assert_null (store);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  assert_one_line (error);
  g_assert_nonnull (strstr (error->message, "newer version of Wirespeed (schema 99; "
                                            "this version knows up to "
                                            G_STRINGIFY (WS_STORE_SCHEMA_VERSION) ")"));
}

static void
remove_tree (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

/* The server closed every connection (a restart, an administrator): the
 * next calls connect again, in a transaction or not. */
static void
test_pg_reconnect (void)
{
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsReport) first = NULL;
  g_autoptr(WsReport) second = NULL;
  const char *kill_all = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                         " WHERE application_name = 'wirespeed'";
  g_autofree char *killed = NULL;
  g_autofree char *killed_again = NULL;

  if (skip_unless_ready (BACKEND_PG))
    return;
  store = open_store (BACKEND_PG, &location);
  first = report_for (speed_result (1764000000), NULL);
  g_assert_true (ws_store_add (store, first, NULL, &error));
  killed = raw_sql (BACKEND_PG, location, kill_all);
  g_assert_cmpstr (killed, ==, "1");
  g_assert_cmpint (ws_store_count (store, &error), ==, 1);
  g_assert_no_error (error);
  killed_again = raw_sql (BACKEND_PG, location, kill_all);
  g_assert_cmpstr (killed_again, ==, "1");
  second = report_for (udp_result (), NULL);
  g_assert_true (ws_store_add (store, second, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (ws_store_has_id (store, second->id, &error));
}

/* Another collector's transaction holds an id: an add of it waits for
 * that transaction, then is a duplicate if it committed. If the add's own
 * connection is lost while it waits, the batch is redone on a new one. */
typedef struct {
  WsStore *store;
  WsReport *reports[2];
  guint n;
  WsStoreOutcome outcomes[2];
  gboolean ok;
  GError *error;
} Adder;

static gpointer
adder_run (gpointer data)
{
  Adder *a = data;

  a->ok = ws_store_add_many (a->store, a->reports, a->n, a->outcomes, &a->error);
  return NULL;
}

static void
raw_exec (PGconn     *conn,
          const char *sql)
{
  g_autoptr(PGresult) res = PQexec (conn, sql);

  g_assert_cmpstr (PQresultErrorMessage (res), ==, "");
}

static void
raw_insert (PGconn     *conn,
            const char *id)
{
  g_autofree char *sql = g_strdup_printf ("BEGIN; INSERT INTO reports (id, received_at, agent,"
                                          " target, port, test, start_time, failed, json)"
                                          " VALUES ('%s', now(), 'other', 'x', 1, 'SPEED',"
                                          " now(), false, '{}')", id);

  raw_exec (conn, sql);
}

static void
wait_blocked (const char *location)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *n = raw_sql (BACKEND_PG, location,
                                    "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                    " = 'wirespeed' AND wait_event_type = 'Lock'");

      if (g_strcmp0 (n, "1") == 0)
        return;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20000);
    }
}

static void
test_pg_waits (void)
{
  g_autofree char *location = NULL;
  g_autoptr(WsStore) store = NULL;
  g_autoptr(PGconn) other = NULL;
  g_autofree char *killed = NULL;
  Adder a = { 0 };
  GThread *thread;

  if (skip_unless_ready (BACKEND_PG))
    return;
  store = open_store (BACKEND_PG, &location);
  other = PQconnectdb (location);

  /* Committed by the other: a duplicate, after the wait. */
  a = (Adder) { store, { report_for (speed_result (1764000000), NULL) }, 1 };
  raw_insert (other, a.reports[0]->id);
  thread = g_thread_new ("adder", adder_run, &a);
  wait_blocked (location);
  raw_exec (other, "COMMIT");
  g_thread_join (thread);
  g_assert_no_error (a.error);
  g_assert_true (a.ok);
  g_assert_cmpint (a.outcomes[0], ==, WS_STORE_DUPLICATE);
  ws_report_free (a.reports[0]);

  /* The add's connection lost while it waits, the other rolled back: both
   * are stored, by the second attempt. */
  a = (Adder) { store, { report_for (speed_result (1764000000), NULL),
                         report_for (udp_result (), NULL) }, 2 };
  raw_insert (other, a.reports[0]->id);
  thread = g_thread_new ("adder", adder_run, &a);
  wait_blocked (location);
  killed = raw_sql (BACKEND_PG, location, "SELECT count(pg_terminate_backend(pid))"
                    " FROM pg_stat_activity WHERE application_name = 'wirespeed'");
  g_assert_cmpstr (killed, ==, "1");
  raw_exec (other, "ROLLBACK");
  g_thread_join (thread);
  g_assert_no_error (a.error);
  g_assert_true (a.ok);
  g_assert_cmpint (a.outcomes[0], ==, WS_STORE_NEW);
  g_assert_cmpint (a.outcomes[1], ==, WS_STORE_NEW);
  g_assert_true (ws_store_has_id (store, a.reports[0]->id, NULL));
  g_assert_true (ws_store_has_id (store, a.reports[1]->id, NULL));
  g_assert_cmpint (ws_store_count (store, NULL), ==, 3);
  ws_report_free (a.reports[0]);
  ws_report_free (a.reports[1]);
}

/* Locations that are no store ------------------------------------------- */

static void
assert_refused (const char *location,
                const char *part)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = NULL;
  gint64 start = g_get_monotonic_time ();

  store = ws_store_open (location, &error);
  g_assert_null (store);
  assert_one_line (error);
  if (part != NULL && strstr (error->message, part) == NULL)
    g_error ("“%s” lacks “%s”", error->message, part);
  g_assert_null (strstr (error->message, "s3cret"));
  /* connect_timeout is 2 s in the URIs: no hang. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 8 * G_USEC_PER_SEC);
}

static void
test_bad_sqlite (void)
{
  g_autofree char *text = g_build_filename (tmp_dir, "not-a-db", NULL);
  g_autofree char *below = g_build_filename (text, "reports.db", NULL);
  g_autofree char *foreign = g_build_filename (tmp_dir, "foreign.db", NULL);
  g_autofree char *mode = NULL;
  g_autofree char *ours = NULL;
  g_autoptr(WsStore) store = NULL;

  g_assert_true (g_file_set_contents (text, "hello, I am not a database, but a longer text"
                                      " than SQLite's header of one hundred bytes; there we are,"
                                      " past it by now", -1, NULL));
  assert_refused (text, "not a database");
  assert_refused (below, "Not a directory");
  g_free (raw_sql (BACKEND_SQLITE, foreign, "CREATE TABLE t (x)"));
  assert_refused (foreign, "not Wirespeed’s");
  mode = raw_sql (BACKEND_SQLITE, foreign, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "delete");
  store = open_store (BACKEND_SQLITE, &ours);
  g_clear_pointer (&mode, g_free);
  mode = raw_sql (BACKEND_SQLITE, ours, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  assert_refused ("mysql://collector/reports", "neither a file nor");
  assert_refused ("", "neither a file nor");
}

/* A port that accepts connections and never answers: only connect_timeout
 * ends the wait. */
static void
test_bad_pg (void)
{
  g_autoptr(GSocket) silent = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autofree char *refused = NULL;
  g_autofree char *hanging = NULL;
  g_autofree char *no_db = NULL;
  gint64 start;

  g_assert_true (g_socket_bind (silent, any, FALSE, NULL));
  g_assert_true (g_socket_listen (silent, NULL));
  bound = g_socket_get_local_address (silent, NULL);
  refused = g_strdup_printf ("postgresql://u:s3cret@127.0.0.1:%u/db?connect_timeout=2", pick_free_port ());
  assert_refused (refused, "refused");
  hanging = g_strdup_printf ("postgres://u:s3cret@127.0.0.1:%u/db?connect_timeout=2",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  start = g_get_monotonic_time ();
  assert_refused (hanging, "timeout");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1 * G_USEC_PER_SEC);
  assert_refused ("postgresql://[::1/x", "IPv6 host address");
  assert_refused ("postgresql://127.0.0.1:notaport/db?password=s3cret", NULL);
  if (pg.skip_reason == NULL)
    {
      no_db = pg_uri ("no_such_database");
      assert_refused (no_db, "no_such_database");
    }
}

int
main (int    argc,
      char **argv)
{
  static const struct {
    const char *name;
    GTestDataFunc func;
  } cases[] = {
    { "add-duplicate", test_add_duplicate },
    { "concurrent", test_concurrent },
    { "figures", test_figures },
    { "prune", test_prune },
    { "migration", test_migration },
    { "newer", test_newer },
    { "server-tests", test_server_tests },
    { "throughput", test_throughput },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  start_pg ();
  /* In the server's folder when there is one: the watcher removes it
   * however this process ends. */
  if (pg.watcher_stdin >= 0)
    {
      tmp_dir = g_build_filename (pg.dir, "sqlite", NULL);
      g_assert_no_errno (g_mkdir (tmp_dir, 0700));
    }
  else
    tmp_dir = g_dir_make_tmp ("ws-store-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *sqlite = g_strdup_printf ("/store/sqlite/%s", cases[i].name);
      g_autofree char *pg_path = g_strdup_printf ("/store/pg/%s", cases[i].name);

      g_test_add_data_func (sqlite, GINT_TO_POINTER (BACKEND_SQLITE), cases[i].func);
      g_test_add_data_func (pg_path, GINT_TO_POINTER (BACKEND_PG), cases[i].func);
    }
  g_test_add_func ("/store/sqlite/bad-locations", test_bad_sqlite);
  g_test_add_func ("/store/pg/bad-locations", test_bad_pg);
  g_test_add_func ("/store/pg/reconnect", test_pg_reconnect);
  g_test_add_func ("/store/pg/waits", test_pg_waits);
  status = g_test_run ();

  remove_tree (tmp_dir);
  stop_pg ();
  return status;
}

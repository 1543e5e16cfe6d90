/* test-analyze.c — `wirespeed --analyze` on a store of known answers,
 * SQLite and a real PostgreSQL 15, through the real binary
 *
 * Two weeks of hourly speed tests from four agents against one target,
 * built so that every answer is known: the evening is slower every day
 * (the busiest hour is 20:00, and never congestion, since the baseline is
 * the same hour's), three agents dip together on one afternoon (a shared
 * period), one agent alone on another morning (a local one). A fifth
 * agent's ten tests of 100 … 1000 Mbit/s make the percentiles interpolate.
 * The oracle recomputes every figure from the generated rows in C.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ws-history.h"
#include "ws-pg-util.h"
#include "ws-store.h"

#define DAY 86400
/* Monday 2024-01-01 00:00:00 UTC. */
#define T0 G_GINT64_CONSTANT (1704067200)
#define N_DAYS 14

typedef struct {
  const char *agent, *target;
  WsTestMode mode;
  gint64 start_s;
  gboolean failed;
  gdouble dl, ul, idle, loaded;  /* bit/s, ms; NAN: not measured */
} Row;

static GArray *rows;             /* Row: what the stores hold */
static char *tmp_dir;
static char *sqlite_location;
static char *pg_location;

/* The data set ----------------------------------------------------------- */

static const char *const agents[] = { "agent-1", "agent-2", "agent-3", "agent-4", "agent-5" };

static Row
speed_row (guint i,
           guint day,
           guint hour)
{
  gdouble base = (i + 1) * 100e6;
  Row r = { agents[i], "t1", WS_TEST_SPEED, T0 + day * DAY + hour * 3600 + 600, FALSE,
            base, 10e6, 1, 20 };

  if (hour == 20)
    r.dl = base / 2, r.loaded = 60;
  else if (hour >= 18 && hour <= 21)
    r.dl = base * 0.8, r.loaded = 40;
  if (day == 10 && (hour == 14 || hour == 15) && i < 3)
    r.dl = base * 0.3, r.loaded = 100;
  if (day == 12 && hour == 9 && i == 3)
    r.dl = base * 0.4, r.loaded = 80;
  r.failed = i == 0 && day == 0 && hour == 0;
  return r;
}

static void
make_rows (void)
{
  rows = g_array_new (FALSE, FALSE, sizeof (Row));
  for (guint i = 0; i < 4; i++)
    for (guint d = 0; d < N_DAYS; d++)
      for (guint h = 0; h < 24; h++)
        {
          Row r = speed_row (i, d, h);
          g_array_append_val (rows, r);
        }
  /* Sunday 2024-01-14, 00:10 … 09:10: a download-only test, no upload. */
  for (guint k = 0; k < 10; k++)
    {
      Row r = { "agent-5", "t2", WS_TEST_TCP_STREAM, T0 + 13 * DAY + k * 3600 + 600, FALSE,
                (k + 1) * 100e6, NAN, 0.5, k + 1 };
      g_array_append_val (rows, r);
    }
}

static void
set_latency (WsLatency *l,
             gdouble    p50)
{
  l->count = 100;
  l->min = l->mean = l->p50 = l->p90 = l->p99 = l->p999 = l->max = p50;
}

/* Bytes over 10 s that make @bps exactly. */
static WsResult *
result_for (const Row *row)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (row->target);
  r->port = 5201;
  r->mode = row->mode;
  r->direction = isnan (row->ul) ? WS_DIRECTION_DOWNLOAD : WS_DIRECTION_BIDIR;
  r->streams = 4;
  r->duration_s = 10;
  r->start_time = g_date_time_new_from_unix_utc (row->start_s);
  r->elapsed_s = r->upload_s = r->download_s = 10;
  r->download.measured = TRUE;
  r->download.receiver_bytes = r->download.sender_bytes = (guint64) (row->dl * 10 / 8);
  if (!isnan (row->ul))
    {
      r->upload.measured = TRUE;
      r->upload.receiver_bytes = r->upload.sender_bytes = (guint64) (row->ul * 10 / 8);
    }
  set_latency (&r->idle_latency, row->idle);
  set_latency (&r->loaded_latency, row->loaded);
  set_latency (&r->loaded_latency_download, row->loaded);
  return r;
}

static WsReport *
report_for (const Row *row)
{
  g_autofree char *id = g_uuid_string_random ();
  WsResult *result = result_for (row);
  WsReport *report = ws_report_new (id, row->agent, result);

  ws_result_unref (result);
  if (row->failed)
    report->error = g_strdup ("the server went away");
  return report;
}

static void
fill_store (const char *location,
            GArray     *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsStore) store = ws_store_open (location, &error);
  g_autoptr(GPtrArray) reports = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_report_free);
  g_autofree WsStoreOutcome *outcomes = g_new (WsStoreOutcome, data->len);

  g_assert_no_error (error);
  for (guint i = 0; i < data->len; i++)
    g_ptr_array_add (reports, report_for (&g_array_index (data, Row, i)));
  g_assert_true (ws_store_add_many (store, (WsReport *const *) reports->pdata, reports->len,
                                    outcomes, &error));
  g_assert_no_error (error);
}

/* Running wirespeed -------------------------------------------------------- */

typedef struct {
  int status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_free (run->out);
  g_free (run->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* wirespeed --analyze --db @db, then the NULL-terminated arguments. */
static Run
analyze (const char *db,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("WIRESPEED"));
  g_ptr_array_add (argv, "--analyze");
  g_ptr_array_add (argv, "--db");
  g_ptr_array_add (argv, (gpointer) db);
  va_start (args, db);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const char *const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &run.out, &run.err, &error);
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (proc);
  if (run.status != 0)
    g_test_message ("stderr: %s", run.err);
  return run;
}

static JsonNode *
analyze_json (const char *db,
              char      **text,
              ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(Run) run = { 0 };
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;
  JsonNode *root;

  va_start (args, text);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  while (argv->len < 4)
    g_ptr_array_add (argv, NULL);
  run = analyze (db, "--json", argv->pdata[0], argv->pdata[1], argv->pdata[2], argv->pdata[3], NULL);
  g_assert_cmpint (run.status, ==, 0);
  root = json_from_string (run.out, &error);
  g_assert_no_error (error);
  if (text != NULL)
    *text = g_steal_pointer (&run.out);
  return root;
}

/* The oracle -------------------------------------------------------------- */

static int
compare_doubles (const void *a,
                 const void *b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

/* Linear between the two closest ranks, as percentile_cont. */
static gdouble
percentile (GArray  *values,
            gdouble  p)
{
  gdouble *v = (gdouble *) values->data, pos, lo;

  if (values->len == 0)
    return NAN;
  qsort (v, values->len, sizeof *v, compare_doubles);
  pos = p * (values->len - 1);
  lo = v[(guint) floor (pos)];
  return lo + (v[(guint) ceil (pos)] - lo) * (pos - floor (pos));
}

typedef gboolean (*RowFilter) (const Row *row, gconstpointer data);
typedef gdouble (*RowValue) (const Row *row);

static gdouble value_dl (const Row *r) { return r->dl; }
static gdouble value_ul (const Row *r) { return r->ul; }
static gdouble value_loaded (const Row *r) { return r->loaded; }

/* The measured values of the rows @filter keeps, failed ones left out. */
static GArray *
gather (RowFilter     filter,
        gconstpointer data,
        RowValue      value)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (gdouble));

  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);
      gdouble v = value (r);

      if (filter (r, data) && !r->failed && !isnan (v))
        g_array_append_val (values, v);
    }
  return values;
}

static gdouble
oracle (RowFilter     filter,
        gconstpointer data,
        RowValue      value,
        gdouble       p)
{
  g_autoptr(GArray) values = gather (filter, data, value);

  return percentile (values, p);
}

static gboolean
of_agent (const Row     *r,
          gconstpointer  agent)
{
  return strcmp (r->agent, agent) == 0;
}

typedef struct { gint dow, hour; gint64 day; } When;

static gboolean
at (const Row     *r,
    gconstpointer  data)
{
  const When *w = data;
  gint64 s = r->start_s;

  return (w->dow < 0 || (s / DAY + 3) % 7 == w->dow) && (w->hour < 0 || s / 3600 % 24 == w->hour)
         && (w->day < 0 || s / DAY == w->day);
}

/* Checks ------------------------------------------------------------------ */

static gdouble
number_at (JsonNode   *root,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) found = json_path_query (path, root, &error);
  JsonArray *array;
  JsonNode *node;

  g_assert_no_error (error);
  array = json_node_get_array (found);
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  node = json_array_get_element (array, 0);
  return JSON_NODE_HOLDS_NULL (node) ? NAN : json_node_get_double (node);
}

static const char *
string_at (JsonNode   *root,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) found = json_path_query (path, root, &error);
  static char *kept;

  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (found)), ==, 1);
  g_free (kept);
  kept = g_strdup (json_array_get_string_element (json_node_get_array (found), 0));
  return kept;
}

static guint
length_at (JsonNode   *root,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) found = json_path_query (path, root, &error);

  g_assert_no_error (error);
  return json_array_get_length (json_array_get_array_element (json_node_get_array (found), 0));
}

#define assert_near(x, y) assert_near_at (G_STRLOC, x, y)

static void
assert_near_at (const char *where,
                gdouble     got,
                gdouble     want)
{
  if (isnan (want) && isnan (got))
    return;
  if (!(fabs (got - want) <= 1e-9 * MAX (1, fabs (want))))
    g_error ("%s: %.17g, expected %.17g", where, got, want);
}

static void
check_group (JsonNode *root,
             guint     index,
             guint     agent)
{
  g_autofree char *prefix = g_strdup_printf ("$.groups[%u]", index);
  g_autofree char *path = NULL;
  g_autoptr(GArray) dl = gather (of_agent, agents[agent], value_dl);
  gdouble sum = 0;
  guint count = 0, failed = 0;

  for (guint i = 0; i < rows->len; i++)
    {
      const Row *r = &g_array_index (rows, Row, i);

      count += of_agent (r, agents[agent]);
      failed += of_agent (r, agents[agent]) && r->failed;
    }
  for (guint i = 0; i < dl->len; i++)
    sum += g_array_index (dl, gdouble, i);
#define AT(key) (g_free (path), path = g_strconcat (prefix, key, NULL))
  g_assert_cmpstr (string_at (root, AT (".agent")), ==, agents[agent]);
  g_assert_cmpfloat (number_at (root, AT (".count")), ==, count);
  g_assert_cmpfloat (number_at (root, AT (".failed")), ==, failed);
  assert_near (number_at (root, AT (".download_bps.mean")), sum / dl->len);
  assert_near (number_at (root, AT (".download_bps.p50")), oracle (of_agent, agents[agent], value_dl, 0.5));
  assert_near (number_at (root, AT (".download_bps.p95")), oracle (of_agent, agents[agent], value_dl, 0.95));
  assert_near (number_at (root, AT (".upload_bps.p95")), oracle (of_agent, agents[agent], value_ul, 0.95));
  assert_near (number_at (root, AT (".loaded_latency_ms.p50")),
               oracle (of_agent, agents[agent], value_loaded, 0.5));
  assert_near (number_at (root, AT (".loaded_latency_ms.p95")),
               oracle (of_agent, agents[agent], value_loaded, 0.95));
#undef AT
}

/* The figures worked out by hand, then every group, cell and day against
 * the oracle. */
static void
check_analysis (JsonNode *root)
{
  g_assert_cmpfloat (number_at (root, "$.results"), ==, rows->len);
  g_assert_cmpstr (string_at (root, "$.first"), ==, "2024-01-01T00:10:00+00:00");
  g_assert_cmpstr (string_at (root, "$.last"), ==, "2024-01-14T23:10:00+00:00");

  /* agent-1: 277 × 100 Mbit/s, 42 × 80, 14 × 50, 2 × 30 (one failed). */
  g_assert_cmpstr (string_at (root, "$.groups[0].test"), ==, "SPEED");
  g_assert_cmpfloat (number_at (root, "$.groups[0].failed"), ==, 1);
  assert_near (number_at (root, "$.groups[0].download_bps.mean"),
               (277 * 100e6 + 42 * 80e6 + 14 * 50e6 + 2 * 30e6) / 335);
  g_assert_cmpfloat (number_at (root, "$.groups[0].download_bps.min"), ==, 30e6);
  g_assert_cmpfloat (number_at (root, "$.groups[0].download_bps.max"), ==, 100e6);
  g_assert_cmpfloat (number_at (root, "$.groups[0].loaded_latency_ms.p95"), ==, 40);
  /* agent-5: 100 … 1000 Mbit/s, between ranks. */
  g_assert_cmpstr (string_at (root, "$.groups[4].target"), ==, "t2");
  assert_near (number_at (root, "$.groups[4].download_bps.p50"), 550e6);
  assert_near (number_at (root, "$.groups[4].download_bps.p95"), 955e6);
  assert_near (number_at (root, "$.groups[4].loaded_latency_ms.p95"), 9.55);
  g_assert_true (isnan (number_at (root, "$.groups[4].upload_bps.mean")));
  g_assert_true (isnan (number_at (root, "$.groups[4].loss_percent.mean")));
  g_assert_cmpstr (string_at (root, "$.groups[4].first"), ==, "2024-01-14T00:10:00+00:00");
  for (guint i = 0; i < 5; i++)
    check_group (root, i, i);

  g_assert_cmpfloat (number_at (root, "$.busiest_hour.hour"), ==, 20);
  g_assert_cmpfloat (number_at (root, "$.busiest_hour.download_bps_p50"), ==, 125e6);
  g_assert_cmpfloat (number_at (root, "$.busiest_hour.loaded_latency_ms_p50"), ==, 60);
  g_assert_cmpfloat (number_at (root, "$.busiest_hour.results"), ==, 4 * N_DAYS);

  /* Monday 10:00: 100, 100, 200, 200, … 400; 00:00 lost agent-1's failure. */
  g_assert_cmpfloat (number_at (root, "$.heatmap.download_bps[0][10]"), ==, 250e6);
  g_assert_cmpfloat (number_at (root, "$.heatmap.download_bps[0][20]"), ==, 125e6);
  g_assert_cmpfloat (number_at (root, "$.heatmap.download_bps[0][0]"), ==, 300e6);
  g_assert_cmpfloat (number_at (root, "$.heatmap.results[0][0]"), ==, 8);
  for (gint d = 0; d < 7; d++)
    for (gint h = 0; h < 24; h++)
      {
        When w = { d, h, -1 };
        g_autofree char *dl = g_strdup_printf ("$.heatmap.download_bps[%d][%d]", d, h);
        g_autofree char *lat = g_strdup_printf ("$.heatmap.loaded_latency_ms[%d][%d]", d, h);

        assert_near (number_at (root, dl), oracle (at, &w, value_dl, 0.5));
        assert_near (number_at (root, lat), oracle (at, &w, value_loaded, 0.5));
      }

  g_assert_cmpstr (string_at (root, "$.daily[0].date"), ==, "2024-01-01");
  g_assert_cmpfloat (number_at (root, "$.daily[0].results"), ==, 96);
  g_assert_cmpfloat (number_at (root, "$.daily[0].failed"), ==, 1);
  g_assert_cmpstr (string_at (root, "$.daily[13].date"), ==, "2024-01-14");
  for (gint day = 0; day < N_DAYS; day++)
    {
      When w = { -1, -1, T0 / DAY + day };
      g_autofree char *p10 = g_strdup_printf ("$.daily[%d].download_bps.p10", day);
      g_autofree char *p90 = g_strdup_printf ("$.daily[%d].loaded_latency_ms.p90", day);

      assert_near (number_at (root, p10), oracle (at, &w, value_dl, 0.1));
      assert_near (number_at (root, p90), oracle (at, &w, value_loaded, 0.9));
    }

  /* Thursday 14:00–16:00, three agents: shared; Saturday 09:00, one: local. */
  g_assert_cmpstr (string_at (root, "$.congestion[0].start"), ==, "2024-01-11T14:00:00+00:00");
  g_assert_cmpstr (string_at (root, "$.congestion[0].end"), ==, "2024-01-11T16:00:00+00:00");
  g_assert_cmpstr (string_at (root, "$.congestion[0].kind"), ==, "shared");
  g_assert_cmpstr (string_at (root, "$.congestion[0].agents[2]"), ==, "agent-3");
  assert_near (number_at (root, "$.congestion[0].depth"), 0.7);
  g_assert_cmpfloat (number_at (root, "$.congestion[0].spans[0].hours"), ==, 2);
  g_assert_cmpstr (string_at (root, "$.congestion[1].start"), ==, "2024-01-13T09:00:00+00:00");
  g_assert_cmpstr (string_at (root, "$.congestion[1].end"), ==, "2024-01-13T10:00:00+00:00");
  g_assert_cmpstr (string_at (root, "$.congestion[1].kind"), ==, "local");
  g_assert_cmpstr (string_at (root, "$.congestion[1].agents[0]"), ==, "agent-4");
  assert_near (number_at (root, "$.congestion[1].depth"), 0.6);
  g_assert_cmpuint (length_at (root, "$.congestion"), ==, 2);
}

/* Tests ------------------------------------------------------------------- */

static char *sqlite_json;

static void
test_sqlite_json (void)
{
  g_autoptr(JsonNode) root = analyze_json (sqlite_location, &sqlite_json, "--tz", "UTC", NULL);

  check_analysis (root);
}

/* Both stores give the same JSON, byte for byte. */
static void
test_pg_json (void)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_assert_nonnull (pg_location);
  root = analyze_json (pg_location, &text, "--tz", "UTC", NULL);
  check_analysis (root);
  if (sqlite_json != NULL)
    g_assert_cmpstr (text, ==, sqlite_json);
}

static const char csv_header[] =
  "agent,target,test,count,failed,"
  "download_bps_mean,download_bps_min,download_bps_max,download_bps_p50,download_bps_p95,"
  "upload_bps_mean,upload_bps_min,upload_bps_max,upload_bps_p50,upload_bps_p95,"
  "idle_latency_ms_p50,idle_latency_ms_p95,loaded_latency_ms_p50,loaded_latency_ms_p95,"
  "loss_percent_mean,loss_percent_max,first,last";

static void
test_csv (void)
{
  g_auto(Run) run = analyze (sqlite_location, "--csv", "--tz", "UTC", NULL);
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) last = NULL;

  g_assert_cmpint (run.status, ==, 0);
  lines = g_strsplit (run.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 7);   /* header, 5 groups, "" */
  g_assert_cmpstr (lines[0], ==, csv_header);
  g_assert_true (g_str_has_prefix (lines[1], "agent-1,t1,SPEED,336,1,"));
  g_assert_cmpstr (lines[6], ==, "");
  last = g_strsplit (lines[5], ",", -1);
  g_assert_cmpuint (g_strv_length (last), ==, 23);
  g_assert_cmpstr (last[0], ==, "agent-5");
  g_assert_cmpstr (last[2], ==, "TCP_STREAM");
  g_assert_cmpfloat (g_ascii_strtod (last[8], NULL), ==, 550e6);
  /* No upload: empty fields, not zeros. */
  for (guint i = 10; i < 15; i++)
    g_assert_cmpstr (last[i], ==, "");
  g_assert_cmpstr (last[21], ==, "2024-01-14T00:10:00+00:00");
}

static void
test_text (void)
{
  g_auto(Run) run = analyze (sqlite_location, "--tz", "UTC", NULL);

  g_assert_cmpint (run.status, ==, 0);
  g_test_message ("%s", run.out);
  g_assert_nonnull (strstr (run.out, "1354 results 2024-01-01T00:10:00+00:00 – 2024-01-14T23:10:00+00:00 (UTC)"));
  g_assert_nonnull (strstr (run.out, "Agent"));
  g_assert_nonnull (strstr (run.out, "agent-5          t2                   TCP_STREAM     10      0"));
  g_assert_nonnull (strstr (run.out, "550 Mbit/s"));
  g_assert_nonnull (strstr (run.out, "–"));      /* agent-5's upload */
  g_assert_nonnull (strstr (run.out, "Busiest hour: 20:00–21:00, median download 125 Mbit/s, loaded latency 60.0 ms"));
  g_assert_nonnull (strstr (run.out, "2 congestion periods"));
  g_assert_nonnull (strstr (run.out, "2024-01-11T14:00:00+00:00 – 2024-01-11T16:00:00+00:00  shared, 70 % below the baseline: agent-1, agent-2, agent-3"));
  g_assert_nonnull (strstr (run.out, "local, 60 % below the baseline: agent-4"));
}

/* A URI's password is not printed (the server trusts, so it is ignored). */
static void
test_text_password (void)
{
  g_autoptr(GString) uri = g_string_new (pg_location);
  g_auto(Run) run = { 0 };

  g_string_replace (uri, "wirespeed@", "wirespeed:s3cret@", 1);
  run = analyze (uri->str, "--tz", "UTC", "--agent", "agent-5", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_null (strstr (run.out, "s3cret"));
  g_assert_true (g_str_has_prefix (run.out, "postgresql://wirespeed@"));
  g_assert_nonnull (strstr (run.out, ": 10 results"));
}

static void
test_filters (void)
{
  g_autoptr(JsonNode) agent = analyze_json (sqlite_location, NULL, "--agent", "agent-5", "--tz", "UTC", NULL);
  g_autoptr(JsonNode) target = analyze_json (pg_location, NULL, "--target", "t1", "--tz", "UTC", NULL);
  g_autoptr(JsonNode) since = analyze_json (sqlite_location, NULL, "--since", "2024-01-08",
                                            "--tz", "UTC", NULL);
  g_autoptr(JsonNode) both = analyze_json (pg_location, NULL, "--since", "2024-01-08T00:00:00Z",
                                           "--agent", "agent-2", NULL);

  g_assert_cmpuint (length_at (agent, "$.groups"), ==, 1);
  g_assert_cmpfloat (number_at (agent, "$.results"), ==, 10);
  g_assert_cmpstr (string_at (agent, "$.agent"), ==, "agent-5");
  g_assert_cmpuint (length_at (agent, "$.congestion"), ==, 0);
  g_assert_cmpfloat (number_at (agent, "$.busiest_hour.hour"), ==, 0);   /* 100 Mbit/s at 00:10 */

  g_assert_cmpuint (length_at (target, "$.groups"), ==, 4);
  g_assert_cmpfloat (number_at (target, "$.results"), ==, 4 * 24 * N_DAYS);
  g_assert_cmpstr (string_at (target, "$.groups[3].agent"), ==, "agent-4");

  g_assert_cmpfloat (number_at (since, "$.groups[0].count"), ==, 7 * 24);
  g_assert_cmpfloat (number_at (since, "$.groups[0].failed"), ==, 0);
  g_assert_cmpstr (string_at (since, "$.first"), ==, "2024-01-08T00:10:00+00:00");
  g_assert_cmpuint (length_at (since, "$.daily"), ==, 7);
  /* The baseline is the period's: the shared dip has 3 days before it. */
  g_assert_cmpuint (length_at (since, "$.congestion"), ==, 2);

  g_assert_cmpuint (length_at (both, "$.groups"), ==, 1);
  g_assert_cmpfloat (number_at (both, "$.results"), ==, 7 * 24);
}

/* "7d" counts back from now. */
static void
test_since_relative (void)
{
  g_autofree char *location = g_build_filename (tmp_dir, "recent.db", NULL);
  g_autoptr(GArray) recent = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autoptr(JsonNode) root = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < 3; i++)
    {
      Row r = { "agent-r", "t1", WS_TEST_SPEED, now - (gint64) (i * 4 + 1) * DAY, FALSE,
                (i + 1) * 100e6, 10e6, 1, 20 };
      g_array_append_val (recent, r);
    }
  fill_store (location, recent);
  root = analyze_json (location, NULL, "--since", "7d", NULL);
  g_assert_cmpfloat (number_at (root, "$.results"), ==, 2);           /* 1 and 5 days ago */
  g_assert_cmpfloat (number_at (root, "$.groups[0].download_bps.max"), ==, 200e6);
  g_clear_pointer (&root, json_node_unref);
  root = analyze_json (location, NULL, "--since", "12h", NULL);
  g_assert_cmpfloat (number_at (root, "$.results"), ==, 0);
  g_assert_cmpuint (length_at (root, "$.groups"), ==, 0);
  g_assert_true (isnan (number_at (root, "$.busiest_hour")));
  g_assert_true (isnan (number_at (root, "$.heatmap.download_bps[3][7]")));
  g_assert_cmpfloat (number_at (root, "$.heatmap.results[3][7]"), ==, 0);
}

/* Local time: hours shift with the zone, and across a DST change. */
static void
test_time_zone (void)
{
  g_autofree char *location = g_build_filename (tmp_dir, "dst.db", NULL);
  g_autoptr(GArray) dst = g_array_new (FALSE, FALSE, sizeof (Row));
  g_autoptr(JsonNode) kolkata = analyze_json (pg_location, NULL, "--tz", "Asia/Kolkata", NULL);
  g_autoptr(JsonNode) berlin = NULL;
  /* Sunday 2024-03-31: 00:30 UTC is 01:30 CET, 01:30 UTC is 03:30 CEST. */
  const gint64 times[] = { 1711845000, 1711848600 };

  /* 20:10 UTC is 01:40 the next day in India (+05:30). */
  g_assert_cmpfloat (number_at (kolkata, "$.busiest_hour.hour"), ==, 1);
  g_assert_cmpstr (string_at (kolkata, "$.time_zone"), ==, "Asia/Kolkata");
  g_assert_cmpstr (string_at (kolkata, "$.first"), ==, "2024-01-01T05:40:00+05:30");
  /* Monday 00:10 UTC is Monday 05:40. */
  g_assert_cmpfloat (number_at (kolkata, "$.heatmap.download_bps[0][5]"), ==, 300e6);
  g_assert_cmpstr (string_at (kolkata, "$.congestion[0].start"), ==, "2024-01-11T19:00:00+05:30");

  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      Row r = { "agent-d", "t1", WS_TEST_SPEED, times[i], FALSE, 100e6, 10e6, 1, 20 };
      g_array_append_val (dst, r);
    }
  fill_store (location, dst);
  berlin = analyze_json (location, NULL, "--tz", "Europe/Berlin", NULL);
  g_assert_cmpfloat (number_at (berlin, "$.heatmap.results[6][1]"), ==, 1);
  g_assert_cmpfloat (number_at (berlin, "$.heatmap.results[6][2]"), ==, 0);
  g_assert_cmpfloat (number_at (berlin, "$.heatmap.results[6][3]"), ==, 1);
  g_assert_cmpstr (string_at (berlin, "$.first"), ==, "2024-03-31T01:30:00+01:00");
  g_assert_cmpstr (string_at (berlin, "$.last"), ==, "2024-03-31T03:30:00+02:00");
}

/* The app's own history, read with the same queries. */
static void
test_history (void)
{
  g_autofree char *location = g_build_filename (tmp_dir, "history.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsHistory) history = ws_history_open (location, &error);
  g_autoptr(JsonNode) root = NULL;

  g_assert_no_error (error);
  for (guint k = 0; k < 4; k++)
    {
      Row r = { NULL, "speed.example", WS_TEST_SPEED, T0 + k * 3600, FALSE, (k + 1) * 100e6, 20e6,
                1, 10 * (k + 1) };
      WsResult *result = result_for (&r);

      g_assert_cmpint (ws_history_add (history, result, &error), >, 0);
      g_assert_no_error (error);
      ws_result_unref (result);
    }
  g_clear_object (&history);
  root = analyze_json (location, NULL, "--tz", "UTC", NULL);
  g_assert_cmpuint (length_at (root, "$.groups"), ==, 1);
  g_assert_cmpstr (string_at (root, "$.groups[0].agent"), ==, g_get_host_name ());
  g_assert_cmpstr (string_at (root, "$.groups[0].target"), ==, "speed.example");
  g_assert_cmpstr (string_at (root, "$.groups[0].test"), ==, "SPEED");
  g_assert_cmpfloat (number_at (root, "$.groups[0].count"), ==, 4);
  g_assert_cmpfloat (number_at (root, "$.groups[0].download_bps.mean"), ==, 250e6);
  assert_near (number_at (root, "$.groups[0].loaded_latency_ms.p50"), 25);
  g_assert_cmpfloat (number_at (root, "$.busiest_hour.hour"), ==, 0);
  g_assert_cmpstr (string_at (root, "$.daily[0].date"), ==, "2024-01-01");
}

static void
assert_one_line_error (const Run  *run,
                       int         status,
                       const char *words)
{
  g_auto(GStrv) lines = g_strsplit (run->err, "\n", -1);

  g_assert_cmpint (run->status, ==, status);
  g_assert_cmpstr (run->out, ==, "");
  g_assert_true (g_str_has_prefix (run->err, "wirespeed: "));
  g_assert_nonnull (strstr (run->err, words));
  /* One line, or one plus the hint to --help for a bad command line. */
  g_assert_cmpuint (g_strv_length (lines), <=, status == 2 ? 3 : 2);
}

static void
test_errors (void)
{
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such.db", NULL);
  g_autofree char *garbage = g_build_filename (tmp_dir, "garbage.db", NULL);
  g_autofree char *other = g_build_filename (tmp_dir, "other.db", NULL);
  g_autofree char *no_db = pg_uri ("no_such_database");
  g_auto(Run) a = analyze (missing, NULL);
  g_auto(Run) b = { 0 }, c = { 0 }, d = { 0 }, e = { 0 }, f = { 0 }, g = { 0 };

  assert_one_line_error (&a, 1, "no such file");
  g_assert_true (g_file_set_contents (garbage, "not a database, not at all", -1, NULL));
  b = analyze (garbage, NULL);
  assert_one_line_error (&b, 1, garbage);
  c = analyze (sqlite_location, "--since", "last tuesday", NULL);
  assert_one_line_error (&c, 2, "--since must be 30m, 12h, 7d or 2w");
  g_assert_nonnull (strstr (c.err, "2024-01-31"));
  d = analyze (sqlite_location, "--tz", "Mars/Olympus", NULL);
  assert_one_line_error (&d, 2, "--tz");
  e = analyze (no_db, NULL);
  assert_one_line_error (&e, 1, "no_such_database");
  f = analyze (sqlite_location, "--json", "--csv", NULL);
  assert_one_line_error (&f, 2, "--csv");
  g_assert_true (g_file_set_contents (other, "", 0, NULL));
  g = analyze (other, NULL);
  assert_one_line_error (&g, 1, "not Wirespeed");
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("WIRESPEED") == NULL)
    g_error ("WIRESPEED: the binary to test (meson test sets it)");
  start_pg ();
  if (pg.skip_reason != NULL)
    g_error ("PostgreSQL cannot run here: %s", pg.skip_reason);
  tmp_dir = g_build_filename (pg.dir, "sqlite", NULL);
  g_assert_no_errno (g_mkdir (tmp_dir, 0700));
  make_rows ();
  sqlite_location = g_build_filename (tmp_dir, "reports.db", NULL);
  pg_location = pg_new_database ();
  fill_store (sqlite_location, rows);
  fill_store (pg_location, rows);

  g_test_add_func ("/analyze/sqlite/json", test_sqlite_json);
  g_test_add_func ("/analyze/pg/json", test_pg_json);
  g_test_add_func ("/analyze/csv", test_csv);
  g_test_add_func ("/analyze/text", test_text);
  g_test_add_func ("/analyze/text-password", test_text_password);
  g_test_add_func ("/analyze/filters", test_filters);
  g_test_add_func ("/analyze/since-relative", test_since_relative);
  g_test_add_func ("/analyze/time-zone", test_time_zone);
  g_test_add_func ("/analyze/history", test_history);
  g_test_add_func ("/analyze/errors", test_errors);
  status = g_test_run ();

  g_array_unref (rows);
  g_free (sqlite_location);
  g_free (pg_location);
  g_free (sqlite_json);
  g_free (tmp_dir);
  stop_pg ();
  return status;
}

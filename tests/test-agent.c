/* test-agent.c — the agent: schedule math, its configuration, the spool,
 * and the real `wirespeed --agent --once` delivering real tests' reports
 *
 * The unit tests ask what a schedule does after a night of sleep or a DST
 * change without waiting for either: the schedule functions take the time
 * and the zone as arguments.
 *
 * The integration tests run the real binary twice over: a `wirespeed
 * --server` to test against, and `wirespeed --agent --once` reporting to
 * a collector. Until the product's collector lands (another branch), that
 * collector is a TEST PEER written here (ws-test-collector.h), which can
 * also misbehave: RETRY, REJECTED, a connection dropped between the commit
 * and the ACK, an ERROR frame. Every test judges delivery the same way:
 * the ids the agent logged as its runs' reports against the ids in the
 * peer's store, compared as sets, each stored once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "ws-agent.h"
#include "ws-agent-config.h"
#include "ws-proc-util.h"
#include "ws-report-sender.h"
#include "ws-schedule.h"
#include "ws-spool.h"
#include "ws-test-collector.h"

#define USEC G_GINT64_CONSTANT (1000000)
#define AGENT_TIMEOUT_MS 120000
#define AGENT_KEY "agent-1:secret-of-agent-1"

/* ---- Helpers ---- */

static char *
fixture (const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "tls", name, NULL);
}

static void
write_file (const char *path,
            const char *text,
            int         mode)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_chmod (path, mode), ==, 0);
}

static gint64
utc_us (int y, int mo, int d, int h, int mi, int s)
{
  g_autoptr(GDateTime) t = g_date_time_new_utc (y, mo, d, h, mi, s);

  return g_date_time_to_unix (t) * USEC;
}

static char *
format_utc (gint64 us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (us / USEC);

  return g_date_time_format (t, "%F %T");
}

static void
assert_utc (gint64      us,
            const char *expected)
{
  g_autofree char *text = format_utc (us);

  g_assert_cmpstr (text, ==, expected);
}

/* ---- Durations and `at` ---- */

static void
test_duration (void)
{
  const struct { const char *text; gint64 seconds; } good[] = {
    { "0", 0 }, { "90", 90 }, { "30s", 30 }, { "5m", 300 }, { "1h30m", 5400 },
    { "2d", 172800 }, { "1d2h3m4s", 93784 }, { "7d", 604800 },
  };
  const char *bad[] = { "", "m", "5x", "5m3", "30m1h", "5mm", "-5m", "1.5h", "8d", "99999999999",
                        " 5m", "5 m" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      gint64 s = -1;

      g_assert_true (ws_parse_duration (good[i].text, &s));
      g_assert_cmpint (s, ==, good[i].seconds);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      gint64 s;

      if (ws_parse_duration (bad[i], &s))
        g_error ("“%s” parsed as %" G_GINT64_FORMAT " s", bad[i], s);
    }
}

static guint
count_minutes (const WsAtSpec *spec)
{
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (spec->minutes); i++)
    n += __builtin_popcountll (spec->minutes[i]);
  return n;
}

static void
test_at_parse (void)
{
  const struct { const char *text; guint minutes; } good[] = {
    { "*:00,*:30", 48 }, { "06:15, 18:15", 2 }, { "6:5", 1 }, { "*:00, 00:00", 24 },
    { "23:59", 1 },
  };
  const char *bad[] = { "", ",", "06:15,", "25:00", "24:00", "*:60", "6", "*:*", "a:00",
                        "06:15:00", "006:15", "*/5:00" };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      WsAtSpec spec;

      g_assert_true (ws_at_spec_parse (good[i].text, &spec, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (count_minutes (&spec), ==, good[i].minutes);
    }
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      WsAtSpec spec;

      g_assert_false (ws_at_spec_parse (bad[i], &spec, &error));
      g_assert_nonnull (strstr (error->message, "HOUR:MINUTE"));
    }
}

static void
test_at_next_utc (void)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  WsAtSpec half, morning;

  g_assert_true (ws_at_spec_parse ("*:00,*:30", &half, NULL));
  g_assert_true (ws_at_spec_parse ("06:15", &morning, NULL));
  assert_utc (ws_at_spec_next (&half, utc, utc_us (2024, 1, 1, 10, 10, 0)), "2024-01-01 10:30:00");
  /* Strictly after: a run at 10:30 does not find 10:30 again. */
  assert_utc (ws_at_spec_next (&half, utc, utc_us (2024, 1, 1, 10, 30, 0)), "2024-01-01 11:00:00");
  assert_utc (ws_at_spec_next (&half, utc, utc_us (2024, 12, 31, 23, 45, 0)), "2025-01-01 00:00:00");
  assert_utc (ws_at_spec_next (&morning, utc, utc_us (2024, 2, 28, 6, 15, 0) + 1),
              "2024-02-29 06:15:00");
  assert_utc (ws_at_spec_next (&morning, utc, utc_us (2024, 2, 29, 5, 0, 0)), "2024-02-29 06:15:00");
}

/* Local time: Berlin springs forward on 2024-03-31 (02:00 → 03:00) and
 * falls back on 2024-10-27 (03:00 → 02:00). */
static void
test_at_next_dst (void)
{
  g_autoptr(GTimeZone) berlin = g_time_zone_new_identifier ("Europe/Berlin");
  WsAtSpec spec;
  gint64 first, second;

  if (berlin == NULL)
    {
      g_test_fail_printf ("no tzdata for Europe/Berlin (install tzdata)");
      return;
    }
  g_assert_true (ws_at_spec_parse ("02:30, 12:00", &spec, NULL));
  /* Winter: 12:00 CET is 11:00 UTC. */
  assert_utc (ws_at_spec_next (&spec, berlin, utc_us (2024, 1, 10, 9, 0, 0)), "2024-01-10 11:00:00");
  /* The day without 02:30: one run, at some instant of that night, and
   * then the 12:00 CEST of the same day. */
  first = ws_at_spec_next (&spec, berlin, utc_us (2024, 3, 30, 12, 0, 0));
  g_assert_cmpint (first, >, utc_us (2024, 3, 30, 23, 0, 0));
  g_assert_cmpint (first, <=, utc_us (2024, 3, 31, 1, 30, 0));
  assert_utc (ws_at_spec_next (&spec, berlin, first), "2024-03-31 10:00:00");
  /* The day with 02:30 twice: one run, at one of them (CEST 00:30 UTC or
   * CET 01:30 UTC, GLib's choice); the next is 12:00 CET, not the other. */
  first = ws_at_spec_next (&spec, berlin, utc_us (2024, 10, 26, 12, 0, 0));
  g_assert_true (first == utc_us (2024, 10, 27, 0, 30, 0) || first == utc_us (2024, 10, 27, 1, 30, 0));
  second = ws_at_spec_next (&spec, berlin, first);
  assert_utc (second, "2024-10-27 11:00:00");
}

/* ---- Schedules over time ---- */

static WsSchedule *
every_schedule (gint64 every_s,
                gint64 slip_s)
{
  WsSchedule *s = ws_schedule_new ("every");

  s->kind = WS_SCHEDULE_EVERY;
  s->every_s = every_s;
  s->slip_s = slip_s;
  return s;
}

static void
test_every (void)
{
  g_autoptr(WsSchedule) s = every_schedule (300, 0);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  gint64 t0 = utc_us (2024, 5, 1, 12, 0, 0);
  WsScheduleState st;
  guint runs = 0;

  ws_schedule_start (s, &st, t0, utc, 0);
  g_assert_true (ws_schedule_tick (s, &st, t0, utc, 0));      /* at the start */
  g_assert_cmpint (st.due_us, ==, t0 + 300 * USEC);
  g_assert_false (ws_schedule_tick (s, &st, t0 + 10 * USEC, utc, 0));
  g_assert_false (ws_schedule_tick (s, &st, t0 + 299 * USEC, utc, 0));
  g_assert_true (ws_schedule_tick (s, &st, t0 + 300 * USEC, utc, 0));
  g_assert_cmpint (st.due_us, ==, t0 + 600 * USEC);
  /* Asleep for five hours: sixty slots missed, one run, and the grid kept. */
  for (gint i = 0; i < 5; i++)
    runs += ws_schedule_tick (s, &st, t0 + (5 * 3600 + 17) * USEC, utc, 0);
  g_assert_cmpuint (runs, ==, 1);
  g_assert_cmpint (st.due_us, ==, t0 + (5 * 3600 + 300) * USEC);
  /* The clock set back an hour: the next run comes within one interval of
   * the new now, not an hour and five minutes later. */
  g_assert_false (ws_schedule_tick (s, &st, t0 + 4 * 3600 * USEC, utc, 0));
  g_assert_cmpint (st.due_us, >, t0 + 4 * 3600 * USEC);
  g_assert_cmpint (st.due_us, <=, t0 + (4 * 3600 + 300) * USEC);
}

static void
test_slip (void)
{
  g_autoptr(WsSchedule) s = every_schedule (300, 30);
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  gint64 t0 = utc_us (2024, 5, 1, 12, 0, 0);
  gint64 lo = G_MAXINT64, hi = 0;
  WsScheduleState st;

  for (guint i = 0; i < 2000; i++)
    {
      gint64 slip = ws_schedule_draw_slip (s);

      g_assert_cmpint (slip, >=, 0);
      g_assert_cmpint (slip, <=, 30 * USEC);
      lo = MIN (lo, slip);
      hi = MAX (hi, slip);
    }
  /* Spread over the range: 2000 draws miss the outer tenths by chance
   * with probability 2 × 0.9^2000. */
  g_assert_cmpint (lo, <, 3 * USEC);
  g_assert_cmpint (hi, >, 27 * USEC);
  /* The slip delays the run, never the grid. */
  ws_schedule_start (s, &st, t0, utc, 20 * USEC);
  g_assert_false (ws_schedule_tick (s, &st, t0 + 19 * USEC, utc, 7 * USEC));
  g_assert_true (ws_schedule_tick (s, &st, t0 + 20 * USEC, utc, 7 * USEC));
  g_assert_cmpint (st.due_us, ==, t0 + 300 * USEC);
  g_assert_cmpint (st.run_us, ==, t0 + 307 * USEC);
}

static void
test_at_tick (void)
{
  g_autoptr(WsSchedule) s = ws_schedule_new ("at");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  WsScheduleState st;
  guint runs = 0;

  s->kind = WS_SCHEDULE_AT;
  g_assert_true (ws_at_spec_parse ("*:00,*:30", &s->at, NULL));
  ws_schedule_start (s, &st, utc_us (2024, 5, 1, 10, 10, 0), utc, 0);
  assert_utc (st.due_us, "2024-05-01 10:30:00");
  g_assert_false (ws_schedule_tick (s, &st, utc_us (2024, 5, 1, 10, 29, 59), utc, 0));
  g_assert_true (ws_schedule_tick (s, &st, utc_us (2024, 5, 1, 10, 30, 0), utc, 0));
  assert_utc (st.due_us, "2024-05-01 11:00:00");
  /* Suspended from 10:40 to 15:47: one run, then 16:00. */
  for (guint i = 0; i < 3; i++)
    runs += ws_schedule_tick (s, &st, utc_us (2024, 5, 1, 15, 47, 0), utc, 0);
  g_assert_cmpuint (runs, ==, 1);
  assert_utc (st.due_us, "2024-05-01 16:00:00");
  /* The clock set back to 09:05: the next run is 09:30. */
  g_assert_false (ws_schedule_tick (s, &st, utc_us (2024, 5, 1, 9, 5, 0), utc, 0));
  assert_utc (st.due_us, "2024-05-01 09:30:00");
}

static void
test_backoff (void)
{
  const gint64 expected[] = { 1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300 };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpint (ws_sender_backoff_ceiling_s (MAX (i, 1)), ==, expected[i]);
  g_assert_cmpint (ws_sender_backoff_ceiling_s (1000), ==, 300);
}

/* ---- The configuration ---- */

typedef struct {
  char *dir;
  char *key_file;
} ConfigFixture;

static void
config_setup (ConfigFixture *f,
              gconstpointer  data)
{
  f->dir = g_dir_make_tmp ("test-agent-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->key_file = g_build_filename (f->dir, "agent.key", NULL);
  write_file (f->key_file, AGENT_KEY "\n", 0600);
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
config_teardown (ConfigFixture *f,
                 gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->key_file);
}

static char *
write_config (ConfigFixture *f,
              const char    *text)
{
  char *path = g_build_filename (f->dir, "agent.conf", NULL);

  write_file (path, text, 0644);
  return path;
}

/* Each mistake: one line naming the file, the group and the key. */
static void
test_config_errors (ConfigFixture *f,
                    gconstpointer  data)
{
  const struct { const char *text; const char *named[2]; } cases[] = {
    { "[agent]\nbogus = 1\n", { "[agent] bogus", "unknown key" } },
    { "[agent]\ncollect-to = c.example:99999\n", { "[agent] collect-to", "c.example:99999" } },
    /* The list separator is ',' (the example file says so): with ';' GLib reads one host. */
    { "[agent]\ncollect-to = a.example:1;b.example:2\n", { "[agent] collect-to", "a.example:1;b.example:2" } },
    { "[agent]\nauth-key-file = /nonexistent/key\n", { "[agent] auth-key-file", "/nonexistent/key" } },
    { "[agent]\nspool-max = 0\n", { "[agent] spool-max", "0" } },
    { "[agent]\ntls-fingerprint = AB:CD\n", { "[agent] tls-fingerprint", "SHA-256" } },
    { "[s]\ntarget = x\nevery = 5x\n", { "[s] every", "5x" } },
    { "[s]\ntarget = x\n", { "[s]", "“every” or “at”" } },
    { "[s]\nevery = 5m\n", { "[s] target", "needs a target" } },
    { "[s]\ntarget = x\nevery = 5m\nslip = 5m\n", { "[s] slip", "shorter" } },
    { "[s]\ntarget = x\nat = 25:00\n", { "[s] at", "25:00" } },
    { "[s]\ntarget = x\nevery = 5m\nat = *:00\n", { "[s] at", "not both" } },
    { "[s]\ntarget = x\nevery = 5m\ntest = FOO\n", { "[s] test", "FOO" } },
    { "[s]\ntarget = x\nevery = 5m\nstreams = 0\n", { "[s] streams", "0" } },
    { "[s]\ntarget = x\nevery = 5m\nno-latency = maybe\n", { "[s] no-latency", "maybe" } },
    { "[s]\ntarget = x\nevery = 5m\nduration = 2d\n", { "[s] duration", "2d" } },
    { "[s]\ntarget = x\nevery = 5m\nrr-size = 1\n", { "[s] rr-size", "REQ,RESP" } },
    { "[s]\ntarget = http://x/\ntest = TCP_RR\nevery = 5m\n", { "[s] target", "URL" } },
    { "[s]\ntarget = x\nevery = 5m\ntest = TCP_RR\nbytes = 1M\n", { "[s] bytes", "TCP_STREAM" } },
    { "[s]\ntarget = x\nevery = 5m\ntest = TCP_RR\niperf3 = true\n", { "[s] iperf3", "iperf3" } },
    { "[s]\ntarget = x\nevery = 5m\ncolour = blue\n", { "[s] colour", "unknown key" } },
    { "this is not a key file\n", { "agent.conf", "" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = write_config (f, cases[i].text);
      g_autoptr(GError) error = NULL;
      g_autoptr(WsAgentConfig) config = ws_agent_config_load (path, &error);

      g_assert_null (config);
      g_assert_nonnull (error);
      if (strchr (error->message, '\n') != NULL || !g_str_has_prefix (error->message, path)
          || strstr (error->message, cases[i].named[0]) == NULL
          || strstr (error->message, cases[i].named[1]) == NULL)
        g_error ("case %u: “%s” does not say %s / %s in one line after the path", i,
                 error->message, cases[i].named[0], cases[i].named[1]);
    }
}

/* What an agent cannot run without, after a file that parses. */
static void
test_config_check (ConfigFixture *f,
                   gconstpointer  data)
{
  g_autofree char *path = write_config (f, "[s]\ntarget = x\nevery = 5m\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(WsAgentConfig) config = ws_agent_config_load (path, &error);

  g_assert_no_error (error);
  g_assert_false (ws_agent_config_check (config, path, &error));
  g_assert_nonnull (strstr (error->message, "[agent] collect-to"));
  g_clear_error (&error);
  g_ptr_array_add (config->collectors, g_strdup ("c.example"));
  g_assert_false (ws_agent_config_check (config, path, &error));
  g_assert_nonnull (strstr (error->message, "[agent] auth-key-file"));
}

/* The commented example in data/ is a configuration that loads. */
static void
test_config_example (ConfigFixture *f,
                     gconstpointer  data)
{
  g_autofree char *example = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "..", "data",
                                               "wirespeed-agent.conf", NULL);
  g_autofree char *text = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GString) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsAgentConfig) config = NULL;
  const WsSchedule *sch[4];

  g_assert_true (g_file_get_contents (example, &text, NULL, &error));
  s = g_string_new (text);
  g_assert_cmpuint (g_string_replace (s, "/etc/wirespeed/agent.key", f->key_file, 1), ==, 1);
  path = write_config (f, s->str);
  config = ws_agent_config_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ws_agent_config_check (config, path, &error));
  g_assert_cmpuint (config->collectors->len, ==, 2);
  g_assert_cmpstr (config->auth_name, ==, "agent-1");
  g_assert_cmpuint (config->schedules->len, ==, 4);
  for (guint i = 0; i < 4; i++)
    sch[i] = config->schedules->pdata[i];
  g_assert_cmpstr (sch[0]->name, ==, "speed");
  g_assert_cmpint (sch[0]->test.mode, ==, WS_TEST_SPEED);
  g_assert_cmpint (sch[0]->every_s, ==, 300);
  g_assert_cmpint (sch[0]->slip_s, ==, 60);
  g_assert_cmpint (sch[1]->kind, ==, WS_SCHEDULE_AT);
  g_assert_cmpuint (count_minutes (&sch[1]->at), ==, 48);
  g_assert_cmpuint (sch[1]->test.duration_s, ==, 10);
  g_assert_cmpint (sch[2]->test.mode, ==, WS_TEST_HTTP);
  g_assert_true (sch[2]->test.tls);
  g_assert_true (sch[3]->test.iperf3);
  g_assert_cmpuint (sch[3]->test.bitrate, ==, 20000000);
  /* The agent's key is lent to every schedule, for servers that ask. */
  g_assert_cmpstr (sch[3]->test.auth_name, ==, "agent-1");
}

/* ---- The spool ---- */

static void
add_reports (WsSpool   *spool,
             guint      n,
             GPtrArray *ids,
             guint     *dropped)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      char *id = g_uuid_string_random ();
      g_autofree char *json = g_strdup_printf ("{\"id\": \"%s\"}", id);
      guint d = 0;

      g_assert_true (ws_spool_add (spool, id, json, &d, &error));
      g_assert_no_error (error);
      *dropped += d;
      g_ptr_array_add (ids, id);
    }
}

static void
assert_spool_holds (WsSpool   *spool,
                    GPtrArray *ids,
                    guint      first)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = ws_spool_next (spool, 0, 1000, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, ids->len - first);
  g_assert_cmpuint (ws_spool_get_count (spool), ==, entries->len);
  for (guint i = 0; i < entries->len; i++)
    {
      const WsSpoolEntry *e = entries->pdata[i];

      g_assert_cmpstr (e->id, ==, ids->pdata[first + i]);
      g_assert_nonnull (strstr (e->json, e->id));
      if (i > 0)
        g_assert_cmpint (e->seq, >, ((WsSpoolEntry *) entries->pdata[i - 1])->seq);
    }
}

static void
test_spool_cap (ConfigFixture *f,
                gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "state", "deeper", "spool.db", NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = ws_spool_open (path, 5, &error);
  guint dropped = 0;

  g_assert_no_error (error);
  add_reports (spool, 8, ids, &dropped);
  /* Drop oldest: the newest five stay, three counted. */
  g_assert_cmpuint (dropped, ==, 3);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_DROPPED), ==, 3);
  assert_spool_holds (spool, ids, 3);
  /* Removal by id; a REJECTED one is counted. */
  g_assert_true (ws_spool_remove (spool, ids->pdata[3], TRUE, &error));
  g_assert_true (ws_spool_remove (spool, ids->pdata[4], FALSE, &error));
  g_assert_true (ws_spool_remove (spool, ids->pdata[4], TRUE, &error));  /* gone: no count */
  g_assert_no_error (error);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_REJECTED), ==, 1);
  g_ptr_array_remove_range (ids, 3, 2);
  assert_spool_holds (spool, ids, 3);
  g_assert_true (ws_spool_set_text (spool, "central-config", "[x]\n", &error));
  g_clear_object (&spool);

  /* Reopened with a smaller cap: the order, the counters and the text
   * survive, and the cap applies at once. */
  spool = ws_spool_open (path, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_DROPPED), ==, 4);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_REJECTED), ==, 1);
  assert_spool_holds (spool, ids, 4);
  add_reports (spool, 1, ids, &dropped);
  assert_spool_holds (spool, ids, 5);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_DROPPED), ==, 5);
  {
    g_autofree char *text = ws_spool_get_text (spool, "central-config");

    g_assert_cmpstr (text, ==, "[x]\n");
  }
}

static void
test_spool_ids (ConfigFixture *f,
                gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "spool.db", NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = ws_spool_open (path, 10, &error);
  g_autoptr(WsAgentConfig) config = ws_agent_config_new ();
  g_autoptr(WsSchedule) s = every_schedule (60, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "no");

  for (guint i = 0; i < 1000; i++)
    {
      g_autoptr(WsReport) r = ws_agent_build_report (config, s, NULL, failure, now);

      g_assert_true (g_uuid_string_is_valid (r->id));
      g_assert_true (g_hash_table_add (seen, g_strdup (r->id)));
    }
  /* And the spool refuses an id twice rather than keeping two. */
  g_assert_true (ws_spool_add (spool, "0b9b6a4e-5c1f-4f3e-9d7a-2a61c1e0f00d", "{}", NULL, &error));
  g_assert_false (ws_spool_add (spool, "0b9b6a4e-5c1f-4f3e-9d7a-2a61c1e0f00d", "{}", NULL, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (ws_spool_get_count (spool), ==, 1);
}

/* A failed test is reported too, judged as a collector would. */
static void
test_failed_report (void)
{
  g_autoptr(WsAgentConfig) config = ws_agent_config_new ();
  g_autoptr(WsSchedule) s = every_schedule (60, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GString) long_text = g_string_new (NULL);
  g_autoptr(GError) failure = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsReport) report = NULL;
  g_autoptr(WsReport) back = NULL;
  g_autofree char *json = NULL;

  config->auth_name = g_strdup ("agent-1");
  s->test.mode = WS_TEST_UDP_RR;
  for (guint i = 0; i < 600; i++)
    g_string_append (long_text, "é");  /* 1200 bytes, two per character */
  failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, long_text->str);
  report = ws_agent_build_report (config, s, NULL, failure, now);
  g_assert_cmpuint (strlen (report->error), <=, 1024);
  g_assert_cmpuint (strlen (report->error), >=, 1022);
  g_assert_true (g_utf8_validate (report->error, -1, NULL));
  json = ws_report_to_json (report);
  back = ws_report_new_from_json (json, strlen (json), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, report->id);
  g_assert_cmpstr (back->agent, ==, "agent-1");
  g_assert_cmpstr (back->error, ==, report->error);
  g_assert_cmpstr (back->result->target, ==, "localhost");
  g_assert_cmpint (back->result->mode, ==, WS_TEST_UDP_RR);
  g_assert_cmpint (back->server_tests, ==, -1);
}

/* ---- The real agent against the test peer ---- */

typedef struct {
  ConfigFixture files;
  Proc *server;           /* the real wirespeed --server the agent tests */
  guint server_port;
  TestCollector tc;
  char *spool;
  char *store;
  char *ca;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *cert = fixture ("server.pem");
  g_autofree char *key = fixture ("server-key.pem");

  config_setup (&f->files, data);
  f->spool = g_build_filename (f->files.dir, "spool.db", NULL);
  f->store = g_build_filename (f->files.dir, "reports.db", NULL);
  f->ca = fixture ("ca.pem");
  f->server = spawn_server (&f->server_port, NULL);
  tc_init (&f->tc, f->store, AGENT_KEY "\n", cert, key);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Outcome) o = stop_server (f->server, SIGTERM);

  tc_clear (&f->tc);
  g_clear_pointer (&f->server, proc_free);
  g_free (f->spool);
  g_free (f->store);
  g_free (f->ca);
  config_teardown (&f->files, data);
}

/* A config file: the collectors, then @n TCP_RR schedules of 1 s against
 * the test server, named PREFIX-0…, and @extra at the end. */
static char *
agent_config (Fixture    *f,
              const char *collectors,
              const char *prefix,
              guint       n,
              const char *extra)
{
  g_autoptr(GString) s = g_string_new (NULL);

  g_string_append_printf (s, "[agent]\ncollect-to = %s\ntls-ca = %s\nauth-key-file = %s\n"
                          "spool = %s\n\n", collectors, f->ca, f->files.key_file, f->spool);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "[%s-%u]\ntarget = 127.0.0.1\nport = %u\ntest = TCP_RR\n"
                            "duration = 1\nevery = 1h\n\n", prefix, i, f->server_port);
  if (extra != NULL)
    g_string_append (s, extra);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
schedules_text (Fixture    *f,
                const char *prefix,
                guint       n)
{
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append_printf (s, "[%s-%u]\ntarget = 127.0.0.1\nport = %u\ntest = TCP_RR\n"
                            "duration = 1\nevery = 1h\n\n", prefix, i, f->server_port);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static Proc *
spawn_agent (Fixture    *f,
             const char *config_text,
             const char *send_timeout)
{
  g_autofree char *path = g_build_filename (f->files.dir, "agent.conf", NULL);
  const char *args[] = { "--agent", "--once", "--config", path, "--send-timeout", send_timeout, NULL };

  write_file (path, config_text, 0644);
  return proc_spawnv (args);
}

static Outcome *
run_agent (Fixture    *f,
           const char *config_text,
           const char *send_timeout)
{
  g_autoptr(Proc) p = spawn_agent (f, config_text, send_timeout);

  return proc_finish (p, AGENT_TIMEOUT_MS);
}

/* The report ids the agent logged, one per run. */
static GPtrArray *
logged_ids (const char *log)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = strstr (lines[i], "; report ");
      g_autofree char *id = NULL;

      if (at == NULL || strstr (lines[i], "Schedule “") == NULL)
        continue;
      id = g_strndup (at + strlen ("; report "), 36);
      g_assert_true (g_uuid_string_is_valid (id));
      g_ptr_array_add (ids, g_steal_pointer (&id));
    }
  return ids;
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char **) a, *(char **) b);
}

/* Every id in @expected is stored, once, and nothing else is. */
static void
assert_store_is (Fixture   *f,
                 GPtrArray *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stored = ws_store_list_ids (f->tc.store, &error);

  g_assert_no_error (error);
  g_ptr_array_sort (stored, compare_strings);
  g_ptr_array_sort (expected, compare_strings);
  for (guint i = 0; i < MAX (stored->len, expected->len); i++)
    if (i >= stored->len || i >= expected->len || strcmp (stored->pdata[i], expected->pdata[i]) != 0)
      g_error ("stored ids differ from the logged ones at %u (%u stored, %u logged)", i,
               stored->len, expected->len);
}

static guint
spool_count (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = ws_spool_open (f->spool, WS_SPOOL_DEFAULT_MAX, &error);

  g_assert_no_error (error);
  return ws_spool_get_count (spool);
}

static guint
count_lines_with (const char *text,
                  const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (text, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

static void
test_deliver (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 3, NULL);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  tc_start (&f->tc);
  o = run_agent (f, config, "30");
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 3);
  assert_store_is (f, ids);
  g_assert_cmpuint (f->tc.acks[WS_ACK_STORED], ==, 3);
  g_assert_cmpuint (f->tc.config_gets, >=, 1);
  g_assert_cmpuint (spool_count (f), ==, 0);
  assert_contains (o->err, "finished, ");
}

/* The report is committed, the ACK never comes: the agent resends, the
 * collector says DUPLICATE, the store has it once. */
static void
test_duplicate (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 2, NULL);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  f->tc.drop_after_store = 1;
  tc_start (&f->tc);
  o = run_agent (f, config, "60");
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 2);
  assert_store_is (f, ids);
  g_assert_cmpuint (f->tc.acks[WS_ACK_DUPLICATE], >=, 1);
  g_assert_cmpuint (f->tc.connections, >=, 2);
}

static void
test_retry (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 2, NULL);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  f->tc.retry_first = 2;
  tc_start (&f->tc);
  o = run_agent (f, config, "60");
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  assert_store_is (f, ids);
  g_assert_cmpuint (f->tc.acks[WS_ACK_RETRY], ==, 2);
  assert_contains (o->err, "asks to send again in 1 s: Test peer is busy");
  g_assert_cmpuint (spool_count (f), ==, 0);
}

static void
test_rejected (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 3, NULL);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(WsSpool) spool = NULL;
  const char *rejected;
  guint index;

  f->tc.reject_first = 1;
  tc_start (&f->tc);
  o = run_agent (f, config, "30");
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 3);
  g_assert_cmpuint (f->tc.rejected_ids->len, ==, 1);
  rejected = f->tc.rejected_ids->pdata[0];
  assert_contains (o->err, rejected);
  assert_contains (o->err, "rejected by");
  assert_contains (o->err, "Test peer rejects this one");
  /* Nothing lost but the rejected one, which is counted. */
  g_assert_true (g_ptr_array_find_with_equal_func (ids, rejected, g_str_equal, &index));
  g_ptr_array_remove_index (ids, index);
  g_assert_cmpuint (ids->len, ==, 2);
  assert_store_is (f, ids);
  spool = ws_spool_open (f->spool, 10, NULL);
  g_assert_cmpuint (ws_spool_get_count (spool), ==, 0);
  g_assert_cmpuint (ws_spool_get_counter (spool, WS_SPOOL_REJECTED), ==, 1);
}

/* The first collector of the list is down: the second takes the reports. */
static void
test_failover (Fixture       *f,
               gconstpointer  data)
{
  TestCollector down;
  g_autofree char *cert = fixture ("server.pem");
  g_autofree char *key = fixture ("server-key.pem");
  g_autofree char *down_store = g_build_filename (f->files.dir, "down.db", NULL);
  g_autofree char *down_address = NULL;
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *list = NULL;
  g_autofree char *config = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  tc_init (&down, down_store, AGENT_KEY "\n", cert, key);  /* bound, never listening */
  down_address = tc_address (&down);
  list = g_strdup_printf ("%s, %s", down_address, address);
  config = agent_config (f, list, "rr", 2, NULL);
  tc_start (&f->tc);
  o = run_agent (f, config, "30");
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  assert_store_is (f, ids);
  assert_contains (o->err, down_address);
  assert_contains (o->err, "Connection refused");
  tc_clear (&down);
}

/* Down when the tests finish: the agent backs off and retries, and
 * delivers when the collector comes up. */
static void
test_backoff_then_deliver (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 2, NULL);
  g_autoptr(Proc) p = spawn_agent (f, config, "110");
  g_autofree char *line = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  /* The first contact failed, and both tests ran and were spooled
   * while the sender backed off. */
  line = wait_for_line (p, &p->err, "Cannot deliver reports to", AGENT_TIMEOUT_MS);
  g_assert_nonnull (line);
  g_free (line);
  line = wait_for_line (p, &p->err, "Schedule “rr-1”", AGENT_TIMEOUT_MS);
  g_assert_nonnull (line);
  tc_start (&f->tc);
  o = proc_finish (p, AGENT_TIMEOUT_MS);
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 2);
  assert_store_is (f, ids);
  assert_contains (o->err, "delivered to");
  /* One line for the outage, not one per retry. */
  g_assert_cmpuint (count_lines_with (o->err, "Cannot deliver reports to"), ==, 1);
}

/* No collector within --send-timeout: exit 1, the reports stay, and the
 * next run delivers them with its own. */
static void
test_stays_spooled (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 2, NULL);
  g_autoptr(Outcome) first = run_agent (f, config, "2");
  g_autoptr(Outcome) second = NULL;
  g_autoptr(GPtrArray) ids = logged_ids (first->err);
  g_autoptr(GPtrArray) more = NULL;
  g_auto(GStrv) lines = split_lines (first->err);

  g_assert_cmpint (first->status, ==, 1);
  g_assert_cmpuint (ids->len, ==, 2);
  g_assert_nonnull (strstr (lines[g_strv_length (lines) - 1], "2 reports stay in the spool"));
  g_assert_cmpuint (spool_count (f), ==, 2);
  tc_start (&f->tc);
  second = run_agent (f, config, "30");
  g_assert_cmpint (second->status, ==, 0);
  more = logged_ids (second->err);
  g_assert_cmpuint (more->len, ==, 2);
  g_ptr_array_extend_and_steal (ids, g_steal_pointer (&more));
  assert_store_is (f, ids);
  g_assert_cmpuint (spool_count (f), ==, 0);
}

/* A collector that says no: its words in one line, however often the
 * agent tries. */
static void
test_refusals (Fixture       *f,
               gconstpointer  data)
{
  const struct { gboolean no_cap; const char *error_text; const char *key; const char *said; } cases[] = {
    { FALSE, "Agent agent-1 is blocked", NULL, "sent an error: Agent agent-1 is blocked" },
    { TRUE, NULL, NULL, "does not collect reports" },
    { FALSE, NULL, "agent-1:a-wrong-secret", "Authentication failed" },
  };
  g_autofree char *address = tc_address (&f->tc);

  tc_start (&f->tc);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *config = agent_config (f, address, "rr", 1, NULL);
      g_autoptr(Outcome) o = NULL;

      f->tc.no_reports_cap = cases[i].no_cap;
      f->tc.error_text = cases[i].error_text;
      if (cases[i].key != NULL)
        write_file (f->files.key_file, cases[i].key, 0600);
      o = run_agent (f, config, "3");
      g_assert_cmpint (o->status, ==, 1);
      g_assert_cmpuint (count_lines_with (o->err, cases[i].said), ==, 1);
    }
  g_assert_cmpint (ws_store_count (f->tc.store, NULL), ==, 0);
  g_assert_cmpuint (spool_count (f), ==, 3);
}

/* The collector holds this agent's schedules: they run instead of the
 * local ones, and are kept in the spool for the next start. */
static void
test_central (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "local", 1, NULL);
  g_autofree char *central = schedules_text (f, "central", 2);
  g_autoptr(Outcome) o = NULL;
  g_autoptr(Outcome) again = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) more = NULL;

  f->tc.central = central;
  tc_start (&f->tc);
  o = run_agent (f, config, "30");
  g_assert_cmpint (o->status, ==, 0);
  assert_contains (o->err, "Running the central configuration from");
  assert_contains (o->err, "Schedule “central-0”");
  assert_contains (o->err, "Schedule “central-1”");
  g_assert_null (strstr (o->err, "Schedule “local-0”"));
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 2);
  /* The next start runs the kept copy at once; the collector then only
   * confirms it (UNCHANGED). */
  again = run_agent (f, config, "30");
  g_assert_cmpint (again->status, ==, 0);
  assert_contains (again->err, "central configuration of the last run: 2 schedules");
  g_assert_null (strstr (again->err, "Running the central configuration from"));
  more = logged_ids (again->err);
  g_ptr_array_extend_and_steal (ids, g_steal_pointer (&more));
  g_assert_cmpuint (ids->len, ==, 4);
  assert_store_is (f, ids);
}

/* kill -9 while a report is committed at the collector but not yet
 * acknowledged: the next start sends it again, and it is stored once. */
static void
test_killed_mid_send (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *config = agent_config (f, address, "rr", 1, NULL);
  g_autoptr(Proc) p = spawn_agent (f, config, "60");
  g_autoptr(Outcome) killed = NULL;
  g_autoptr(Outcome) again = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GPtrArray) more = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * USEC;
  guint reports = 0;

  f->tc.hold_acks = TRUE;
  tc_start (&f->tc);
  /* Bounded wait for the peer to hold the report: counted as it arrives,
   * stored a moment later (the count alone raced the commit under load). */
  while ((reports == 0 || ws_store_count (f->tc.store, NULL) < 1) && g_get_monotonic_time () < deadline)
    {
      g_usleep (20000);
      g_mutex_lock (&f->tc.lock);
      reports = f->tc.reports;
      g_mutex_unlock (&f->tc.lock);
    }
  g_assert_cmpuint (reports, ==, 1);
  g_assert_cmpint (ws_store_count (f->tc.store, NULL), ==, 1);
  g_subprocess_send_signal (p->proc, SIGKILL);
  killed = proc_finish (p, AGENT_TIMEOUT_MS);
  g_assert_cmpint (killed->status, ==, -SIGKILL);
  ids = logged_ids (killed->err);
  g_assert_cmpuint (ids->len, ==, 1);
  g_assert_cmpuint (spool_count (f), ==, 1);
  g_mutex_lock (&f->tc.lock);
  f->tc.hold_acks = FALSE;
  g_mutex_unlock (&f->tc.lock);
  again = run_agent (f, config, "30");
  g_assert_cmpint (again->status, ==, 0);
  more = logged_ids (again->err);
  g_ptr_array_extend_and_steal (ids, g_steal_pointer (&more));
  g_assert_cmpuint (ids->len, ==, 2);
  assert_store_is (f, ids);
  g_assert_cmpuint (f->tc.acks[WS_ACK_DUPLICATE], ==, 1);
  g_assert_cmpuint (spool_count (f), ==, 0);
}

/* The command line alone: --collect-to, the test's flags, --once. */
static void
test_quick_form (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *address = tc_address (&f->tc);
  g_autofree char *port = g_strdup_printf ("%u", f->server_port);
  const char *args[] = { "--agent", "--collect-to", address, "--target", "127.0.0.1", "--port", port,
                         "--test", "TCP_RR", "--time", "1", "--every", "5m", "--once",
                         "--tls-ca", f->ca, "--auth-key-file", f->files.key_file,
                         "--spool", f->spool, NULL };
  g_autoptr(Proc) p = NULL;
  g_autoptr(Outcome) o = NULL;
  g_autoptr(GPtrArray) ids = NULL;

  tc_start (&f->tc);
  p = proc_spawnv (args);
  o = proc_finish (p, AGENT_TIMEOUT_MS);
  g_assert_cmpint (o->status, ==, 0);
  ids = logged_ids (o->err);
  g_assert_cmpuint (ids->len, ==, 1);
  assert_contains (o->err, "Schedule “command-line”: TCP_RR to 127.0.0.1 finished");
  assert_store_is (f, ids);
}

/* ---- Throughput (only with -m perf) ---- */

static void
on_drained (WsReportSender *sender,
            gboolean       *drained)
{
  *drained = TRUE;
}

/* @n reports as a failed run makes them, each with its own id. */
static void
sample_reports (guint      n,
                GPtrArray *ids,
                GPtrArray *jsons)
{
  g_autoptr(WsAgentConfig) config = ws_agent_config_new ();
  g_autoptr(WsSchedule) s = every_schedule (60, 0);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GError) failure = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "perf");
  g_autoptr(WsReport) report = NULL;

  config->auth_name = g_strdup ("agent-1");
  report = ws_agent_build_report (config, s, NULL, failure, now);
  for (guint i = 0; i < n; i++)
    {
      g_free (report->id);
      report->id = g_uuid_string_random ();
      g_ptr_array_add (ids, g_strdup (report->id));
      g_ptr_array_add (jsons, ws_report_to_json (report));
    }
}

static void
test_perf (Fixture       *f,
           gconstpointer  data)
{
  const guint n = 2000;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsSpool) spool = NULL;
  g_autoptr(WsAgentConfig) config = ws_agent_config_new ();
  g_autoptr(WsReportSender) sender = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) jsons = g_ptr_array_new_with_free_func (g_free);
  gboolean drained = FALSE;
  gint64 t0, t1, t2;

  if (!g_test_perf ())
    {
      g_test_skip ("a measurement: run with -m perf");
      return;
    }
  sample_reports (n, ids, jsons);
  spool = ws_spool_open (f->spool, WS_SPOOL_DEFAULT_MAX, &error);
  g_assert_no_error (error);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    g_assert_true (ws_spool_add (spool, ids->pdata[i], jsons->pdata[i], NULL, &error));
  t1 = g_get_monotonic_time ();
  g_ptr_array_add (config->collectors, tc_address (&f->tc));
  config->tls_ca_file = g_strdup (f->ca);
  config->auth_name = g_strdup ("agent-1");
  config->auth_secret = g_strdup ("secret-of-agent-1");
  f->tc.window = 32;
  tc_start (&f->tc);
  sender = ws_report_sender_new (spool, config);
  g_signal_connect (sender, "drained", G_CALLBACK (on_drained), &drained);
  ws_report_sender_start (sender);
  while (!drained)
    g_main_context_iteration (NULL, TRUE);
  t2 = g_get_monotonic_time ();
  ws_report_sender_stop (sender);
  g_test_message ("spool: %u adds of %" G_GSIZE_FORMAT " bytes in %.2f s: %.0f/s (a commit each, "
                  "synchronous=FULL)", n, strlen (jsons->pdata[0]), (t1 - t0) / 1e6,
                  n / ((t1 - t0) / 1e6));
  g_test_message ("delivery to the test peer (TLS, window 32, a SQLite commit per report there): "
                  "%u in %.2f s: %.0f/s", n, (t2 - t1) / 1e6, n / ((t2 - t1) / 1e6));
  g_assert_cmpuint (ws_spool_get_count (spool), ==, 0);
  assert_store_is (f, ids);
}

/* A bad file stops the agent with one line and status 1. */
static void
test_cli_bad_config (ConfigFixture *f,
                     gconstpointer  data)
{
  g_autofree char *path = write_config (f, "[agent]\ncollect-to = c.example\n\n[s]\ntarget = x\nevery = soon\n");
  const char *args[] = { "--agent", "--config", path, NULL };
  g_autoptr(Proc) p = proc_spawnv (args);
  g_autoptr(Outcome) o = proc_finish (p, 20000);
  g_auto(GStrv) lines = split_lines (o->err);
  g_autofree char *expected = g_strdup_printf ("wirespeed: %s: [s] every: ", path);

  g_assert_cmpint (o->status, ==, 1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1);
  g_assert_true (g_str_has_prefix (lines[0], expected));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/agent/duration", test_duration);
  g_test_add_func ("/agent/at/parse", test_at_parse);
  g_test_add_func ("/agent/at/next-utc", test_at_next_utc);
  g_test_add_func ("/agent/at/next-dst", test_at_next_dst);
  g_test_add_func ("/agent/schedule/every", test_every);
  g_test_add_func ("/agent/schedule/slip", test_slip);
  g_test_add_func ("/agent/schedule/at", test_at_tick);
  g_test_add_func ("/agent/backoff", test_backoff);
  g_test_add_func ("/agent/failed-report", test_failed_report);
  g_test_add ("/agent/config/errors", ConfigFixture, NULL, config_setup, test_config_errors, config_teardown);
  g_test_add ("/agent/config/check", ConfigFixture, NULL, config_setup, test_config_check, config_teardown);
  g_test_add ("/agent/config/example", ConfigFixture, NULL, config_setup, test_config_example, config_teardown);
  g_test_add ("/agent/config/cli", ConfigFixture, NULL, config_setup, test_cli_bad_config, config_teardown);
  g_test_add ("/agent/spool/cap", ConfigFixture, NULL, config_setup, test_spool_cap, config_teardown);
  g_test_add ("/agent/spool/ids", ConfigFixture, NULL, config_setup, test_spool_ids, config_teardown);
  g_test_add ("/agent/deliver", Fixture, NULL, fixture_setup, test_deliver, fixture_teardown);
  g_test_add ("/agent/duplicate", Fixture, NULL, fixture_setup, test_duplicate, fixture_teardown);
  g_test_add ("/agent/retry", Fixture, NULL, fixture_setup, test_retry, fixture_teardown);
  g_test_add ("/agent/rejected", Fixture, NULL, fixture_setup, test_rejected, fixture_teardown);
  g_test_add ("/agent/failover", Fixture, NULL, fixture_setup, test_failover, fixture_teardown);
  g_test_add ("/agent/backoff-then-deliver", Fixture, NULL, fixture_setup, test_backoff_then_deliver,
              fixture_teardown);
  g_test_add ("/agent/stays-spooled", Fixture, NULL, fixture_setup, test_stays_spooled, fixture_teardown);
  g_test_add ("/agent/refusals", Fixture, NULL, fixture_setup, test_refusals, fixture_teardown);
  g_test_add ("/agent/central", Fixture, NULL, fixture_setup, test_central, fixture_teardown);
  g_test_add ("/agent/quick-form", Fixture, NULL, fixture_setup, test_quick_form, fixture_teardown);
  g_test_add ("/agent/killed-mid-send", Fixture, NULL, fixture_setup, test_killed_mid_send, fixture_teardown);
  g_test_add ("/agent/perf", Fixture, NULL, fixture_setup, test_perf, fixture_teardown);

  return g_test_run ();
}

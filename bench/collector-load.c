/* collector-load.c — many agents reporting to one collector, for bench/collector.sh
 *
 * One process, AGENTS report connections over TLS, each with its own key
 * (NAME:SECRET lines of --keys, the collector's --auth-file), spread over
 * a few worker threads that poll their connections. Every agent sends one
 * report every AGENTS / RATE seconds (random phase), as a fleet on a
 * schedule does, within the collector's window; each ACK is matched to its
 * report by id and the time from the report's write to its ACK recorded.
 * After --warmup seconds, --duration seconds are measured. The summary is
 * one JSON object on stdout.
 *
 * The wire is tests/ws-report-wire.h, the tests' minimal sender.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "ws-report-wire.h"

#define MAX_WINDOW 64

typedef struct {
  guint8 id[WS_REPORT_ID_SIZE];
  gint64 sent_ns;
} InFlight;

typedef struct {
  Wire *wire;
  char *json;          /* the report, its id rewritten for every send */
  gsize id_at;         /* where the id's 36 characters are in @json */
  gint64 next_ns;
  InFlight inflight[MAX_WINDOW];
  guint n_inflight;
} Agent;

typedef struct {
  guint first, step;   /* the agents this worker connects: first, first + step, … */
  char **keys;
  GPtrArray *agents;   /* Agent */
  GArray *latency_ms;  /* gdouble: measured ACKs */
  GArray *slices[64];  /* the same, by 5 s of the measured window */
  GArray *late_ms;     /* gdouble: how late each measured send left, against its schedule:
                        * what the machine's load costs a process that is not the collector */
  guint64 sent, acked, by_status[4], measured_stored;
  guint64 failed;      /* connections lost */
} Worker;

static struct {
  guint16 port;
  char *fingerprint;
  char *keys;
  guint agents;
  gdouble rate;
  gdouble warmup_s;
  gdouble duration_s;
  guint threads;
  guint sources;
  gint64 measure_from_ns;
  gint64 measure_to_ns;
} opt = { 0, NULL, NULL, 1000, 1000, 10, 30, 4, 10 };

static void
new_report (Agent      *a,
            const char *name)
{
  static const char placeholder[] = "00000000-0000-4000-8000-000000000000";
  g_autofree char *json = NULL;
  WsResult *result = wire_speed_result ("bench.example", g_get_real_time () / G_USEC_PER_SEC);
  g_autoptr(WsReport) report = ws_report_new (placeholder, name, result);
  const char *at;

  ws_result_unref (result);
  report->local_address = g_strdup ("127.0.0.1:40000");
  report->seen_address = g_strdup ("127.0.0.1:40000");
  json = ws_report_to_json (report);
  at = strstr (json, placeholder);
  g_assert_nonnull (at);
  a->id_at = at - json;
  a->json = g_steal_pointer (&json);
}

static gboolean
send_one (Worker  *w,
          Agent   *a,
          gint64   now)
{
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(GError) error = NULL;
  InFlight *f = &a->inflight[a->n_inflight];

  memcpy (a->json + a->id_at, uuid, 36);
  ws_report_id_to_bytes (uuid, f->id);
  f->sent_ns = ws_now_ns ();
  if (!wire_send_report (a->wire, a->json, &error))
    {
      g_printerr ("collector-load: send: %s\n", error->message);
      return FALSE;
    }
  a->n_inflight++;
  w->sent++;
  return TRUE;
}

static void
take_ack (Worker      *w,
          Agent       *a,
          const WsAck *ack)
{
  gint64 now = ws_now_ns ();

  for (guint i = 0; i < a->n_inflight; i++)
    if (memcmp (a->inflight[i].id, ack->id, WS_REPORT_ID_SIZE) == 0)
      {
        gint64 sent = a->inflight[i].sent_ns;

        a->inflight[i] = a->inflight[--a->n_inflight];
        w->acked++;
        w->by_status[ack->status]++;
        if (sent >= opt.measure_from_ns && now <= opt.measure_to_ns)
          {
            gdouble ms = (now - sent) / 1e6;

            guint slice = MIN ((sent - opt.measure_from_ns) / (5 * WS_NSEC_PER_SEC), 63);

            g_array_append_val (w->latency_ms, ms);
            if (w->slices[slice] == NULL)
              w->slices[slice] = g_array_new (FALSE, FALSE, sizeof (gdouble));
            g_array_append_val (w->slices[slice], ms);
            w->measured_stored += ack->status == WS_ACK_STORED;
          }
        return;
      }
  g_printerr ("collector-load: an ACK for no report in flight\n");
}

/* Every ACK that has arrived on @a. */
static gboolean
read_acks (Worker *w,
           Agent  *a)
{
  while (ws_channel_has_pending (a->wire->channel))
    {
      g_autoptr(GError) error = NULL;
      WsAck ack;

      if (!wire_read_ack (a->wire, &ack, &error))
        {
          g_printerr ("collector-load: %s\n", error->message);
          return FALSE;
        }
      take_ack (w, a, &ack);
    }
  return TRUE;
}

static void
drop_agent (Worker *w,
            guint   i)
{
  Agent *a = g_ptr_array_index (w->agents, i);

  w->failed++;
  g_clear_pointer (&a->wire, wire_free);
}

/* Sends what is due until @end, then waits up to 10 s for the last ACKs. */
static gpointer
worker_thread (gpointer data)
{
  Worker *w = data;
  gint64 interval_ns = (gint64) (opt.agents / opt.rate * 1e9);
  gint64 end = opt.measure_to_ns;
  g_autofree struct pollfd *fds = g_new0 (struct pollfd, w->agents->len);

  for (;;)
    {
      gint64 now = ws_now_ns ();
      gint64 wake = now + 100 * WS_NSEC_PER_MSEC;
      guint in_flight = 0;

      for (guint i = 0; i < w->agents->len; i++)
        {
          Agent *a = g_ptr_array_index (w->agents, i);

          fds[i].fd = a->wire ? g_socket_get_fd (ws_channel_get_socket (a->wire->channel)) : -1;
          fds[i].events = POLLIN;
          if (a->wire == NULL)
            continue;
          in_flight += a->n_inflight;
          if (now < end && a->next_ns <= now && a->n_inflight < a->wire->accept.window)
            {
              if (now >= opt.measure_from_ns)
                {
                  gdouble late = (now - a->next_ns) / 1e6;

                  g_array_append_val (w->late_ms, late);
                }
              if (!send_one (w, a, now))
                drop_agent (w, i);
              a->next_ns += interval_ns;
            }
          if (now < end)
            wake = MIN (wake, a->next_ns);
        }
      if (now >= end && (in_flight == 0 || now > end + 10 * WS_NSEC_PER_SEC))
        break;
      poll (fds, w->agents->len, (int) MAX (0, (wake - ws_now_ns ()) / WS_NSEC_PER_MSEC));
      for (guint i = 0; i < w->agents->len; i++)
        {
          Agent *a = g_ptr_array_index (w->agents, i);

          if (a->wire != NULL && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) && !read_acks (w, a))
            drop_agent (w, i);
        }
    }
  return NULL;
}

static gint
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return (x > y) - (x < y);
}

static char **
read_keys (void)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  if (!g_file_get_contents (opt.keys, &text, NULL, &error))
    g_error ("--keys: %s", error->message);
  return g_strsplit (g_strstrip (text), "\n", -1);
}

static Agent *open_agent (guint index, const char *key);

static struct {
  GMutex lock;
  GCond cond;
  guint connected;     /* workers done connecting */
  gboolean go;         /* phases and the measured window are set */
} start;

/* Connects this worker's agents, one after the other, then waits until
 * every worker has (so the collector sees as many handshakes at once as
 * there are workers), then runs the load. */
static gpointer
connect_and_run (gpointer data)
{
  Worker *w = data;

  for (guint i = w->first; i < opt.agents; i += w->step)
    g_ptr_array_add (w->agents, open_agent (i, w->keys[i]));
  g_mutex_lock (&start.lock);
  start.connected++;
  g_cond_broadcast (&start.cond);
  while (!start.go)
    g_cond_wait (&start.cond, &start.lock);
  g_mutex_unlock (&start.lock);
  return worker_thread (w);
}

static Agent *
open_agent (guint        index,
            const char  *key)
{
  g_auto(GStrv) parts = g_strsplit (key, ":", 2);
  g_autofree char *source = g_strdup_printf ("127.0.0.%u", 2 + index % opt.sources);
  g_autoptr(GError) error = NULL;
  Agent *a = g_new0 (Agent, 1);

  a->wire = wire_connect (opt.port, source, opt.fingerprint, &error);
  if (a->wire == NULL || !wire_collect (a->wire, WS_CAP_REPORTS, parts[0], parts[1], 0, &error))
    g_error ("agent %s: %s", parts[0], error ? error->message : a->wire->refusal.text);
  g_assert_cmpuint (a->wire->accept.window, <=, MAX_WINDOW);
  new_report (a, NULL);
  return a;
}

int
main (int    argc,
      char **argv)
{
  GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &opt.port, "Collector port", "PORT" },
    { "fingerprint", 0, 0, G_OPTION_ARG_STRING, &opt.fingerprint, "Its certificate's SHA-256", "FP" },
    { "keys", 0, 0, G_OPTION_ARG_FILENAME, &opt.keys, "NAME:SECRET per line, one per agent", "FILE" },
    { "agents", 0, 0, G_OPTION_ARG_INT, &opt.agents, "Agents (default: 1000)", "N" },
    { "rate", 0, 0, G_OPTION_ARG_DOUBLE, &opt.rate, "Reports per second, all agents (default: 1000)", "R" },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &opt.warmup_s, "Seconds before measuring (default: 10)", "S" },
    { "duration", 0, 0, G_OPTION_ARG_DOUBLE, &opt.duration_s, "Seconds measured (default: 30)", "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &opt.threads, "Worker threads (default: 4)", "N" },
    { "sources", 0, 0, G_OPTION_ARG_INT, &opt.sources, "Source addresses 127.0.0.2… (default: 10)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— agents reporting to a collector");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (gdouble));
  Worker *workers;
  GThread **threads;
  guint64 sent = 0, stored = 0, by_status[4] = { 0 }, measured = 0, failed = 0;
  gint64 t0, connected_ns;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    g_error ("%s", error->message);
  if (opt.port == 0 || opt.fingerprint == NULL || opt.keys == NULL || opt.threads == 0 || opt.rate <= 0)
    g_error ("--port, --fingerprint and --keys are needed; --threads and --rate above 0");
  keys = read_keys ();
  g_assert_cmpuint (g_strv_length (keys), >=, opt.agents);

  workers = g_new0 (Worker, opt.threads);
  threads = g_new0 (GThread *, opt.threads);
  t0 = ws_now_ns ();
  for (guint t = 0; t < opt.threads; t++)
    {
      workers[t].first = t;
      workers[t].step = opt.threads;
      workers[t].keys = keys;
      workers[t].agents = g_ptr_array_new ();
      workers[t].latency_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
      workers[t].late_ms = g_array_new (FALSE, FALSE, sizeof (gdouble));
      threads[t] = g_thread_new ("load", connect_and_run, &workers[t]);
    }
  g_mutex_lock (&start.lock);
  while (start.connected < opt.threads)
    g_cond_wait (&start.cond, &start.lock);
  connected_ns = ws_now_ns () - t0;

  /* Random phases over one interval, from now. */
  {
    gint64 now = ws_now_ns ();
    gint64 interval_ns = (gint64) (opt.agents / opt.rate * 1e9);

    for (guint t = 0; t < opt.threads; t++)
      for (guint i = 0; i < workers[t].agents->len; i++)
        ((Agent *) workers[t].agents->pdata[i])->next_ns = now + g_random_double () * interval_ns;
    opt.measure_from_ns = now + (gint64) (opt.warmup_s * 1e9);
    opt.measure_to_ns = opt.measure_from_ns + (gint64) (opt.duration_s * 1e9);
  }
  start.go = TRUE;
  g_cond_broadcast (&start.cond);
  g_mutex_unlock (&start.lock);
  for (guint t = 0; t < opt.threads; t++)
    {
      g_thread_join (threads[t]);
      sent += workers[t].sent;
      measured += workers[t].measured_stored;
      failed += workers[t].failed;
      for (guint s = 0; s < 4; s++)
        by_status[s] += workers[t].by_status[s];
      g_array_append_vals (all, workers[t].latency_ms->data, workers[t].latency_ms->len);
    }
  stored = by_status[WS_ACK_STORED];
  g_array_sort (all, compare_doubles);
  printf ("{\"agents\": %u, \"connect_s\": %.2f, \"sent\": %" G_GUINT64_FORMAT ", \"stored\": %"
          G_GUINT64_FORMAT ", \"duplicate\": %" G_GUINT64_FORMAT ", \"rejected\": %" G_GUINT64_FORMAT
          ", \"retry\": %" G_GUINT64_FORMAT ", \"lost_connections\": %" G_GUINT64_FORMAT
          ", \"measured_s\": %.1f, \"results_per_s\": %.1f",
          opt.agents, connected_ns / 1e9, sent, stored, by_status[WS_ACK_DUPLICATE],
          by_status[WS_ACK_REJECTED], by_status[WS_ACK_RETRY], failed, opt.duration_s,
          measured / opt.duration_s);
  if (all->len > 0)
    {
      gdouble *v = (gdouble *) all->data;
      guint n = all->len;

      printf (", \"ack_ms\": {\"n\": %u, \"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}",
              n, v[n / 2], v[(guint) (n * 0.9)], v[MIN (n - 1, (guint) (n * 0.99))], v[n - 1]);
    }
  {
    struct rusage ru;

    getrusage (RUSAGE_SELF, &ru);
    printf (", \"load_cpu_s\": %.1f", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
            + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
  }
  {
    g_autoptr(GArray) late = g_array_new (FALSE, FALSE, sizeof (gdouble));

    for (guint t = 0; t < opt.threads; t++)
      g_array_append_vals (late, workers[t].late_ms->data, workers[t].late_ms->len);
    g_array_sort (late, compare_doubles);
    if (late->len > 0)
      printf (", \"send_late_ms\": {\"p50\": %.1f, \"p99\": %.1f}",
              g_array_index (late, gdouble, late->len / 2),
              g_array_index (late, gdouble, MIN (late->len - 1, (guint) (late->len * 0.99))));
  }
  printf (", \"p99_ms_by_5s\": [");
  for (guint k = 0; k < 64; k++)
    {
      g_autoptr(GArray) slice = g_array_new (FALSE, FALSE, sizeof (gdouble));

      for (guint t = 0; t < opt.threads; t++)
        if (workers[t].slices[k] != NULL)
          g_array_append_vals (slice, workers[t].slices[k]->data, workers[t].slices[k]->len);
      if (slice->len == 0)
        break;
      g_array_sort (slice, compare_doubles);
      printf ("%s%.0f", k ? ", " : "", g_array_index (slice, gdouble, MIN (slice->len - 1, (guint) (slice->len * 0.99))));
    }
  printf ("]}\n");
  return failed == 0 && stored == sent ? 0 : 1;
}

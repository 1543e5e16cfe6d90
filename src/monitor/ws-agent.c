/* ws-agent.c — scheduled tests, spooled and reported
 *
 * The main thread's side of an agent: the schedules' clock, one test at a
 * time through the client engine (a queue, so tests of one agent never
 * overlap and never measure each other), each result written to the spool
 * before anybody tries to send it, and the central configuration applied
 * when a collector sends one. Delivery is the WsReportSender's, in its own
 * thread: tests go on while collectors are away.
 *
 * The clock is the wall clock (`at` times are local times), looked at
 * every WS_AGENT_TICK_MAX_MS at least: timers run on the monotonic clock,
 * which stands still while the machine sleeps, so a long timer would miss
 * the wake-up. ws-schedule.c decides what is due.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-agent.h"
#include "ws-client.h"
#include "ws-report-sender.h"
#include "ws-units.h"

#define CENTRAL_KEY "central-config"
#define MAX_ERROR_BYTES 1024

struct _WsAgent {
  GObject parent_instance;

  WsAgentConfig *config;
  WsSpool *spool;
  WsReportSender *sender;
  GTimeZone *tz;

  GPtrArray *schedules;       /* WsSchedule: what runs now */
  GArray *states;             /* WsScheduleState, one per schedule */
  gboolean central;           /* the schedules are a collector's */
  char *rejected_central;     /* the last central text that did not parse */
  gboolean started;           /* the schedules run */
  guint first_contact_id;
  guint tick_id;

  GQueue queue;               /* WsSchedule copies waiting for the runner */
  WsSchedule *running;
  WsClient *client;
  GCancellable *cancel;
  GDateTime *run_start;

  gboolean once;
  guint send_timeout_s;
  gboolean tests_done;
  guint send_timeout_id;
  gboolean stopping;
  gboolean finished;
};

enum {
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WsAgent, ws_agent, G_TYPE_OBJECT)

static void run_next (WsAgent *self);

static void
ws_agent_dispose (GObject *object)
{
  WsAgent *self = WS_AGENT (object);

  if (self->sender != NULL)
    {
      ws_report_sender_stop (self->sender);
      g_signal_handlers_disconnect_by_data (self->sender, self);
    }
  g_clear_object (&self->sender);
  g_clear_handle_id (&self->first_contact_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->send_timeout_id, g_source_remove);
  if (self->cancel != NULL)
    g_cancellable_cancel (self->cancel);
  G_OBJECT_CLASS (ws_agent_parent_class)->dispose (object);
}

static void
ws_agent_finalize (GObject *object)
{
  WsAgent *self = WS_AGENT (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) ws_schedule_free);
  g_clear_pointer (&self->running, ws_schedule_free);
  g_clear_object (&self->client);
  g_clear_object (&self->cancel);
  g_clear_pointer (&self->run_start, g_date_time_unref);
  g_ptr_array_unref (self->schedules);
  g_array_unref (self->states);
  g_free (self->rejected_central);
  g_time_zone_unref (self->tz);
  g_clear_object (&self->spool);
  ws_agent_config_free (self->config);
  G_OBJECT_CLASS (ws_agent_parent_class)->finalize (object);
}

static void
ws_agent_class_init (WsAgentClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ws_agent_dispose;
  G_OBJECT_CLASS (klass)->finalize = ws_agent_finalize;

  /**
   * WsAgent::done:
   * @status: 0, or 1 when --once left reports in the spool
   *
   * The agent has stopped: after ws_agent_stop(), or, with --once, when
   * every schedule ran once and the spool is delivered (or the send
   * timeout passed).
   */
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
}

static void
ws_agent_init (WsAgent *self)
{
  g_queue_init (&self->queue);
  self->states = g_array_new (FALSE, TRUE, sizeof (WsScheduleState));
  self->send_timeout_s = WS_AGENT_DEFAULT_SEND_TIMEOUT_S;
}

static GPtrArray *
copy_schedules (GPtrArray *schedules)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) ws_schedule_free);

  for (guint i = 0; i < schedules->len; i++)
    g_ptr_array_add (copy, ws_schedule_copy (schedules->pdata[i]));
  return copy;
}

/**
 * ws_agent_new:
 * @config: (transfer full): what to run and where to report
 */
WsAgent *
ws_agent_new (WsAgentConfig *config,
              WsSpool       *spool)
{
  WsAgent *self = g_object_new (WS_TYPE_AGENT, NULL);

  self->config = config;
  self->spool = g_object_ref (spool);
  self->tz = g_time_zone_new_local ();
  self->schedules = copy_schedules (config->schedules);
  return self;
}

/* Each schedule once, then deliver and be done. */
void
ws_agent_set_once (WsAgent *self,
                   guint    send_timeout_s)
{
  g_return_if_fail (WS_IS_AGENT (self));

  self->once = TRUE;
  self->send_timeout_s = send_timeout_s;
}

static void
finish (WsAgent *self,
        int      status)
{
  if (self->finished)
    return;
  self->finished = TRUE;
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_handle_id (&self->send_timeout_id, g_source_remove);
  if (self->sender != NULL)
    ws_report_sender_stop (self->sender);
  g_signal_emit (self, signals[SIGNAL_DONE], 0, status);
}

/* ---- Reports ---- */

/* A failed test has no result from the engine; the report still needs
 * its target and test (PROTOCOL.md 10.3). */
static WsResult *
failed_result (const WsTestConfig *test,
               GDateTime          *start)
{
  WsResult *r = ws_result_new ();

  r->target = g_strdup (test->target);
  r->port = test->port;
  r->mode = test->mode;
  r->direction = test->direction;
  r->streams = test->streams;
  r->duration_s = test->duration_s;
  r->interval_s = test->interval_ms / 1000.0;
  r->bytes = test->bytes;
  r->start_time = g_date_time_ref (start);
  return r;
}

/* At most @max bytes, cut at a character. */
static char *
utf8_prefix (const char *text,
             gsize       max)
{
  const char *end;

  if (strlen (text) <= max)
    return g_strdup (text);
  end = g_utf8_find_prev_char (text, text + max + 1);
  return g_strndup (text, end != NULL ? (gsize) (end - text) : 0);
}

/**
 * ws_agent_build_report:
 * @result: (nullable): what the engine measured; NULL when the test failed
 * @error: (nullable): why it failed
 *
 * Returns: (transfer full): the report of one run, with a fresh id.
 */
WsReport *
ws_agent_build_report (const WsAgentConfig *config,
                       const WsSchedule    *schedule,
                       WsResult            *result,
                       const GError        *error,
                       GDateTime           *start)
{
  g_autoptr(WsResult) failed = result == NULL ? failed_result (&schedule->test, start) : NULL;
  g_autofree char *id = g_uuid_string_random ();
  WsReport *report = ws_report_new (id, config->auth_name, result != NULL ? result : failed);

  report->local_address = g_strdup (report->result->local_address);
  report->seen_address = g_strdup (report->result->client_address);
  /* ws_report_new() took the result's server_tests: -1 when unknown. */
  if (error != NULL)
    report->error = utf8_prefix (error->message, MAX_ERROR_BYTES);
  return report;
}

static char *
describe_figures (const WsResult *r)
{
  g_autoptr(GString) s = g_string_new (NULL);

  if (r->download.measured)
    {
      g_autofree char *rate = ws_format_bitrate (ws_flow_stats_bps (&r->download, r->download_s));
      /* Translators: a rate, e.g. “93.1 Mbit/s”. */
      g_string_append_printf (s, _(", %s down"), rate);
    }
  if (r->upload.measured)
    {
      g_autofree char *rate = ws_format_bitrate (ws_flow_stats_bps (&r->upload, r->upload_s));
      /* Translators: a rate, e.g. “93.1 Mbit/s”. */
      g_string_append_printf (s, _(", %s up"), rate);
    }
  if (r->latency.count > 0)
    g_string_append_printf (s, _(", %.3f ms median round trip"), r->latency.p50);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* One line per run: tests/test-agent.c reads the ids back from it. */
static void
log_run (const WsSchedule *s,
         const WsReport   *report)
{
  const char *test = ws_test_mode_to_string (s->test.mode);

  if (report->error != NULL)
    /* Translators: a schedule's name, a test, its target, why it failed, then a report id. */
    g_message (_("Schedule “%s”: %s to %s failed: %s; report %s"), s->name, test, s->test.target,
               report->error, report->id);
  else
    {
      g_autofree char *figures = describe_figures (report->result);

      /* Translators: a schedule's name, a test, its target, its figures, then a report id. */
      g_message (_("Schedule “%s”: %s to %s finished%s; report %s"), s->name, test,
                 s->test.target, figures, report->id);
    }
}

/* FALSE: the report is not on disk, and the run's line says so. */
static gboolean
spool_report (WsAgent          *self,
              const WsSchedule *s,
              WsReport         *report)
{
  g_autofree char *json = ws_report_to_json (report);
  g_autoptr(GError) error = NULL;
  guint dropped = 0;

  if (!ws_spool_add (self->spool, report->id, json, &dropped, &error))
    {
      /* Translators: a schedule's name, a test, its target, then why its report could not be written. */
      g_message (_("Schedule “%s”: %s to %s ran, but its report is lost: %s"), s->name,
                 ws_test_mode_to_string (s->test.mode), s->test.target, error->message);
      return FALSE;
    }
  if (dropped > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE,
                            "Spool full (%u report): dropped the oldest; %llu dropped so far",
                            "Spool full (%u reports): dropped the oldest; %llu dropped so far",
                            self->config->spool_max),
               self->config->spool_max,
               (unsigned long long) ws_spool_get_counter (self->spool, WS_SPOOL_DROPPED));
  ws_report_sender_wake (self->sender);
  return TRUE;
}

/* ---- The runner: one test at a time ---- */

static void
check_once_done (WsAgent *self)
{
  if (!self->once || !self->tests_done || self->finished)
    return;
  if (ws_spool_get_count (self->spool) == 0)
    finish (self, 0);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(WsAgent) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) result = ws_client_run_finish (WS_CLIENT (source), res, &error);
  g_autoptr(WsSchedule) s = g_steal_pointer (&self->running);
  g_autoptr(WsReport) report = NULL;

  g_clear_object (&self->client);
  g_clear_object (&self->cancel);
  if (self->stopping || self->finished)
    {
      finish (self, 0);
      return;
    }
  report = ws_agent_build_report (self->config, s, result, error, self->run_start);
  if (spool_report (self, s, report))
    log_run (s, report);
  run_next (self);
}

static void
on_send_timeout (gpointer user_data)
{
  WsAgent *self = user_data;
  guint left = ws_spool_get_count (self->spool);

  self->send_timeout_id = 0;
  if (left == 0)
    {
      finish (self, 0);
      return;
    }
  g_message (g_dngettext (GETTEXT_PACKAGE,
                          "%u report stays in the spool %s: no collector took it within %u s",
                          "%u reports stay in the spool %s: no collector took them within %u s", left),
             left, ws_spool_get_path (self->spool), self->send_timeout_s);
  finish (self, 1);
}

static void
queue_done (WsAgent *self)
{
  if (!self->once || self->tests_done)
    return;
  self->tests_done = TRUE;
  self->send_timeout_id = g_timeout_add_once (self->send_timeout_s * 1000, on_send_timeout, self);
  check_once_done (self);
}

static void
run_next (WsAgent *self)
{
  g_autoptr(GDateTime) now = NULL;

  if (self->running != NULL || self->finished)
    return;
  if (g_queue_is_empty (&self->queue))
    {
      queue_done (self);
      return;
    }
  self->running = g_queue_pop_head (&self->queue);
  self->client = ws_client_new ();
  self->cancel = g_cancellable_new ();
  now = g_date_time_new_now_utc ();
  g_clear_pointer (&self->run_start, g_date_time_unref);
  self->run_start = g_date_time_ref (now);
  ws_client_run_async (self->client, &self->running->test, self->cancel, on_run_done,
                       g_object_ref (self));
}

static gboolean
is_waiting (WsAgent          *self,
            const WsSchedule *s)
{
  if (self->running != NULL && strcmp (self->running->name, s->name) == 0)
    return TRUE;
  for (GList *l = self->queue.head; l != NULL; l = l->next)
    if (strcmp (((WsSchedule *) l->data)->name, s->name) == 0)
      return TRUE;
  return FALSE;
}

/* A schedule still waiting for the runner is not queued twice: a slow
 * test delays the others, it does not pile them up. */
static void
enqueue (WsAgent          *self,
         const WsSchedule *s)
{
  if (is_waiting (self, s))
    {
      g_message (_("Schedule “%s”: its previous run has not started or finished yet; skipping this one"),
                 s->name);
      return;
    }
  g_queue_push_tail (&self->queue, ws_schedule_copy (s));
}

/* ---- The clock ---- */

static void arm_tick (WsAgent *self);

static void
on_tick (gpointer user_data)
{
  WsAgent *self = user_data;
  gint64 now = g_get_real_time ();

  self->tick_id = 0;
  for (guint i = 0; i < self->schedules->len; i++)
    {
      const WsSchedule *s = self->schedules->pdata[i];
      WsScheduleState *state = &g_array_index (self->states, WsScheduleState, i);

      if (ws_schedule_tick (s, state, now, self->tz, ws_schedule_draw_slip (s)))
        enqueue (self, s);
    }
  run_next (self);
  arm_tick (self);
}

static void
arm_tick (WsAgent *self)
{
  gint64 now = g_get_real_time ();
  gint64 wait_ms = WS_AGENT_TICK_MAX_MS;

  for (guint i = 0; i < self->states->len; i++)
    {
      const WsScheduleState *state = &g_array_index (self->states, WsScheduleState, i);

      wait_ms = CLAMP ((state->run_us - now + 999) / 1000, 0, wait_ms);
    }
  g_clear_handle_id (&self->tick_id, g_source_remove);
  self->tick_id = g_timeout_add_once (wait_ms, on_tick, self);
}

/* (Re)starts every schedule's clock from now. */
static void
reset_states (WsAgent *self)
{
  gint64 now = g_get_real_time ();

  g_array_set_size (self->states, self->schedules->len);
  for (guint i = 0; i < self->schedules->len; i++)
    {
      const WsSchedule *s = self->schedules->pdata[i];

      ws_schedule_start (s, &g_array_index (self->states, WsScheduleState, i), now, self->tz,
                         ws_schedule_draw_slip (s));
    }
}

static void
start_schedules (WsAgent *self)
{
  g_clear_handle_id (&self->first_contact_id, g_source_remove);
  if (self->started || self->finished)
    return;
  self->started = TRUE;
  if (self->schedules->len == 0 && self->once)
    {
      g_message (_("No schedules to run: none in the configuration, none from a collector"));
      finish (self, 1);
      return;
    }
  if (self->schedules->len == 0)
    g_message (_("No schedules yet: waiting for a central configuration"));
  if (self->once)
    {
      for (guint i = 0; i < self->schedules->len; i++)
        enqueue (self, self->schedules->pdata[i]);
      run_next (self);
      return;
    }
  reset_states (self);
  arm_tick (self);
}

/* ---- The central configuration ---- */

static void
set_schedules (WsAgent   *self,
               GPtrArray *schedules,
               gboolean   central)
{
  g_ptr_array_unref (self->schedules);
  self->schedules = schedules;
  self->central = central;
  if (self->started && !self->once)
    {
      reset_states (self);
      arm_tick (self);
    }
}

static void
digest_of (const char *text,
           guint8      digest[WS_FRAME_DIGEST_SIZE])
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = WS_FRAME_DIGEST_SIZE;

  g_checksum_update (checksum, (const guchar *) text, strlen (text));
  g_checksum_get_digest (checksum, digest, &len);
}

/* Runs @text's schedules; FALSE (and the agent keeps what it runs) when
 * they do not parse. */
static gboolean
apply_central (WsAgent    *self,
               const char *text,
               const char *origin)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *schedules = ws_agent_config_parse_schedules (self->config, text, origin, &error);
  guint8 digest[WS_FRAME_DIGEST_SIZE];

  if (schedules == NULL)
    {
      if (g_strcmp0 (text, self->rejected_central) != 0)
        g_message (_("Central configuration not applied, keeping the current one: %s"), error->message);
      g_free (self->rejected_central);
      self->rejected_central = g_strdup (text);
      return FALSE;
    }
  set_schedules (self, schedules, TRUE);
  digest_of (text, digest);
  ws_report_sender_set_digest (self->sender, digest);
  return TRUE;
}

static void
on_config (WsReportSender *sender,
           guint           status,
           const char     *text,
           const char     *collector,
           WsAgent        *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *origin = NULL;

  if (status == WS_CONFIG_UNCHANGED || (status == WS_CONFIG_NONE && !self->central))
    return;
  if (status == WS_CONFIG_NONE)
    {
      g_message (_("%s holds no central configuration for this agent: running the local one"), collector);
      set_schedules (self, copy_schedules (self->config->schedules), FALSE);
      ws_report_sender_set_digest (self->sender, NULL);
      ws_spool_set_text (self->spool, CENTRAL_KEY, NULL, NULL);
      return;
    }
  /* Translators: where a configuration came from; %s is a collector. */
  origin = g_strdup_printf (_("central configuration from %s"), collector);
  if (!apply_central (self, text, origin))
    return;
  g_message (g_dngettext (GETTEXT_PACKAGE, "Running the central configuration from %s: %u schedule",
                          "Running the central configuration from %s: %u schedules",
                          self->schedules->len),
             collector, self->schedules->len);
  if (!ws_spool_set_text (self->spool, CENTRAL_KEY, text, &error))
    g_message ("%s", error->message);
}

static void
on_attempt (WsReportSender *sender,
            gboolean        ok,
            WsAgent        *self)
{
  start_schedules (self);
}

static void
on_drained (WsReportSender *sender,
            WsAgent        *self)
{
  check_once_done (self);
}

static void
on_first_contact_timeout (gpointer user_data)
{
  WsAgent *self = user_data;

  self->first_contact_id = 0;
  start_schedules (self);
}

/* The central configuration of the last run, until a collector says
 * otherwise: an agent restarted while its collectors are away runs what
 * it ran before. */
static void
restore_central (WsAgent *self)
{
  g_autofree char *text = ws_spool_get_text (self->spool, CENTRAL_KEY);

  if (text != NULL && apply_central (self, text, _("the central configuration kept in the spool")))
    g_message (g_dngettext (GETTEXT_PACKAGE, "Running the central configuration of the last run: %u schedule",
                            "Running the central configuration of the last run: %u schedules",
                            self->schedules->len),
               self->schedules->len);
}

/**
 * ws_agent_start:
 *
 * Starts the sender, which asks a collector for the central configuration
 * first; the schedules start once it answered or failed, or after
 * WS_AGENT_FIRST_CONTACT_S.
 */
void
ws_agent_start (WsAgent *self)
{
  g_return_if_fail (WS_IS_AGENT (self));
  g_return_if_fail (self->sender == NULL);

  self->sender = ws_report_sender_new (self->spool, self->config);
  g_signal_connect (self->sender, "config", G_CALLBACK (on_config), self);
  g_signal_connect (self->sender, "attempt", G_CALLBACK (on_attempt), self);
  g_signal_connect (self->sender, "drained", G_CALLBACK (on_drained), self);
  if (self->once)
    ws_report_sender_set_refresh (self->sender, 0);
  restore_central (self);
  self->first_contact_id = g_timeout_add_once (WS_AGENT_FIRST_CONTACT_S * 1000,
                                                       on_first_contact_timeout, self);
  ws_report_sender_start (self->sender);
}

/* Stops at once; a test under way is cancelled and not reported. "done"
 * follows when it has ended. */
void
ws_agent_stop (WsAgent *self)
{
  g_return_if_fail (WS_IS_AGENT (self));

  self->stopping = TRUE;
  g_queue_clear_full (&self->queue, (GDestroyNotify) ws_schedule_free);
  if (self->running != NULL)
    {
      g_cancellable_cancel (self->cancel);
      return;
    }
  finish (self, 0);
}

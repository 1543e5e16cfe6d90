/* ws-report-sender.c — delivers an agent's spool to its collectors
 *
 * A thread of its own, so that tests go on while a collector is slow or
 * down: it wakes when the spool has reports (or the central configuration
 * is due for a check), connects to the first collector of the list that
 * answers, sends until the spool is empty, and closes. A failure of one
 * collector moves on to the next; when none could take the spool, it
 * waits with exponential backoff and full jitter (1 s doubling to 5 min)
 * and starts again from the oldest report.
 *
 * What the agent must hear about (a central configuration, the end of an
 * attempt, an empty spool) is emitted as signals on the main context that
 * created the sender. Problems are logged one line each, and the same line
 * again only after ten minutes, so an outage is not a log storm.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-collect-session.h"
#include "ws-report-sender.h"

#define USEC_PER_SEC G_GINT64_CONSTANT (1000000)
/* The same problem is logged again after this long. */
#define LOG_REPEAT_US (600 * USEC_PER_SEC)

struct _WsReportSender {
  GObject parent_instance;

  WsSpool *spool;
  GPtrArray *collectors;
  char *tls_ca_file;
  char *tls_fingerprint;
  char *auth_name;
  char *auth_secret;
  guint16 collect_flags;
  GMainContext *context;  /* where the signals are emitted */
  GThread *thread;
  GCancellable *stop;

  GMutex lock;            /* the fields below, with cond */
  GCond cond;
  gboolean stopping;
  guint8 digest[WS_FRAME_DIGEST_SIZE];
  gboolean has_digest;
  gint64 refresh_us;      /* 0: the configuration is checked once */
  gint64 next_config_us;  /* monotonic */
  gint64 not_before_us;   /* backoff or RETRY: no attempt before this */

  /* The thread's own */
  guint failures;
  GHashTable *logged;     /* message → gint64 when, monotonic */
};

enum {
  SIGNAL_CONFIG,
  SIGNAL_ATTEMPT,
  SIGNAL_DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (WsReportSender, ws_report_sender, G_TYPE_OBJECT)

static void
ws_report_sender_finalize (GObject *object)
{
  WsReportSender *self = WS_REPORT_SENDER (object);

  ws_report_sender_stop (self);
  g_clear_object (&self->spool);
  g_ptr_array_unref (self->collectors);
  g_free (self->tls_ca_file);
  g_free (self->tls_fingerprint);
  g_free (self->auth_name);
  if (self->auth_secret != NULL)
    memset (self->auth_secret, 0, strlen (self->auth_secret));
  g_free (self->auth_secret);
  g_main_context_unref (self->context);
  g_object_unref (self->stop);
  g_hash_table_unref (self->logged);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (ws_report_sender_parent_class)->finalize (object);
}

static void
ws_report_sender_class_init (WsReportSenderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_report_sender_finalize;

  /**
   * WsReportSender::config:
   * @status: a WsConfigStatus
   * @text: (nullable): with WS_CONFIG_NEW, the configuration
   * @collector: who sent it
   */
  signals[SIGNAL_CONFIG] = g_signal_new ("config", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                                         G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);
  /* An attempt to reach a collector ended; @ok: a whole session ran. */
  signals[SIGNAL_ATTEMPT] = g_signal_new ("attempt", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  /* The spool was empty when a session ended. */
  signals[SIGNAL_DRAINED] = g_signal_new ("drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
ws_report_sender_init (WsReportSender *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->stop = g_cancellable_new ();
  self->logged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->refresh_us = WS_SENDER_CONFIG_REFRESH_S * USEC_PER_SEC;
}

WsReportSender *
ws_report_sender_new (WsSpool             *spool,
                      const WsAgentConfig *config)
{
  WsReportSender *self;

  g_return_val_if_fail (WS_IS_SPOOL (spool), NULL);
  g_return_val_if_fail (config->collectors->len > 0, NULL);

  self = g_object_new (WS_TYPE_REPORT_SENDER, NULL);
  self->spool = g_object_ref (spool);
  self->collectors = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < config->collectors->len; i++)
    g_ptr_array_add (self->collectors, g_strdup (config->collectors->pdata[i]));
  self->tls_ca_file = g_strdup (config->tls_ca_file);
  self->tls_fingerprint = g_strdup (config->tls_fingerprint);
  self->auth_name = g_strdup (config->auth_name);
  self->auth_secret = g_strdup (config->auth_secret);
  self->context = g_main_context_ref_thread_default ();
  return self;
}

/* The central configuration the agent runs now; NULL: none. */
void
ws_report_sender_set_digest (WsReportSender *self,
                             const guint8   *digest)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));

  g_mutex_lock (&self->lock);
  self->has_digest = digest != NULL;
  memset (self->digest, 0, sizeof self->digest);
  if (digest != NULL)
    memcpy (self->digest, digest, sizeof self->digest);
  g_mutex_unlock (&self->lock);
}

/* 0: ask for the central configuration once, at the start (--once). */
void
ws_report_sender_set_refresh (WsReportSender *self,
                              guint           seconds)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));

  g_mutex_lock (&self->lock);
  self->refresh_us = seconds * USEC_PER_SEC;
  g_mutex_unlock (&self->lock);
}

/* A relay's sender: the reports are other agents', each naming its own. */
void
ws_report_sender_set_relay (WsReportSender *self,
                            gboolean        relay)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));
  g_return_if_fail (self->thread == NULL);

  self->collect_flags = relay ? WS_COLLECT_FLAG_RELAY : 0;
}

/* ---- Signals, on the creator's main context ---- */

typedef struct {
  WsReportSender *self;
  guint signal;
  gboolean ok;
  WsConfigStatus status;
  char *text;
  char *collector;
} Event;

static void
event_free (gpointer data)
{
  Event *event = data;

  g_object_unref (event->self);
  g_free (event->text);
  g_free (event->collector);
  g_free (event);
}

static gboolean
emit_event (gpointer data)
{
  Event *event = data;

  if (event->signal == SIGNAL_CONFIG)
    g_signal_emit (event->self, signals[SIGNAL_CONFIG], 0, (guint) event->status, event->text,
                   event->collector);
  else if (event->signal == SIGNAL_ATTEMPT)
    g_signal_emit (event->self, signals[SIGNAL_ATTEMPT], 0, event->ok);
  else
    g_signal_emit (event->self, signals[SIGNAL_DRAINED], 0);
  return G_SOURCE_REMOVE;
}

static void
post (WsReportSender *self,
      guint           signal,
      gboolean        ok,
      WsConfigStatus  status,
      char           *text,
      const char     *collector)
{
  Event *event = g_new0 (Event, 1);

  event->self = g_object_ref (self);
  event->signal = signal;
  event->ok = ok;
  event->status = status;
  event->text = text;
  event->collector = g_strdup (collector);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_event, event, event_free);
}

/* ---- Logging, one line per problem ---- */

static void
log_problem (WsReportSender *self,
             const char     *text)
{
  gint64 now = g_get_monotonic_time ();
  gint64 *last = g_hash_table_lookup (self->logged, text);

  if (last != NULL && now - *last < LOG_REPEAT_US)
    return;
  g_message ("%s", text);
  if (last == NULL)
    {
      last = g_new (gint64, 1);
      g_hash_table_insert (self->logged, g_strdup (text), last);
    }
  *last = now;
}

/* ---- One attempt ---- */

/* Full jitter: the n-th wait is uniform in [0, ceiling]. */
gint64
ws_sender_backoff_ceiling_s (guint failures)
{
  gint64 ceiling = WS_SENDER_BACKOFF_BASE_S;

  for (guint i = 1; i < failures && ceiling < WS_SENDER_BACKOFF_MAX_S; i++)
    ceiling *= 2;
  return MIN (ceiling, WS_SENDER_BACKOFF_MAX_S);
}

static gboolean
take_config (WsReportSender    *self,
             WsCollectSession  *session,
             const char        *collector,
             GError           **error)
{
  guint8 digest[WS_FRAME_DIGEST_SIZE];
  gboolean has_digest;
  WsConfigStatus status;
  char *text = NULL;

  g_mutex_lock (&self->lock);
  memcpy (digest, self->digest, sizeof digest);
  has_digest = self->has_digest;
  g_mutex_unlock (&self->lock);
  if (!ws_collect_session_config (session, has_digest ? digest : NULL, &status, &text, error))
    return FALSE;
  g_mutex_lock (&self->lock);
  self->next_config_us = self->refresh_us > 0 ? g_get_monotonic_time () + self->refresh_us
                                              : G_MAXINT64;
  g_mutex_unlock (&self->lock);
  post (self, SIGNAL_CONFIG, TRUE, status, text, collector);
  return TRUE;
}

static void
log_tally (WsReportSender       *self,
           const char           *collector,
           const WsCollectTally *tally)
{
  if (tally->retry_after_s > 0)
    {
      /* Translators: a collector, a number of seconds, then its reason, in English. */
      g_autofree char *text = g_strdup_printf (_("%s asks to send again in %u s: %s"), collector,
                                               tally->retry_after_s,
                                               tally->retry_text && *tally->retry_text
                                               ? tally->retry_text : _("no reason given"));
      log_problem (self, text);
    }
  if (self->failures > 0)
    g_message (g_dngettext (GETTEXT_PACKAGE, "Reports delivered to %s again, after %u failed attempt",
                            "Reports delivered to %s again, after %u failed attempts", self->failures),
               collector, self->failures);
}

/* A whole session with one collector: the configuration, then the spool. */
static gboolean
run_session (WsReportSender  *self,
             const char      *collector,
             WsCollectTally  *tally,
             GError         **error)
{
  WsCollectCredentials credentials = {
    self->tls_ca_file, self->tls_fingerprint, self->auth_name, self->auth_secret,
    self->collect_flags
  };
  g_autoptr(WsCollectSession) session = ws_collect_session_open (collector, &credentials,
                                                                  self->stop, error);

  if (session == NULL)
    return FALSE;
  return take_config (self, session, collector, error)
         && ws_collect_session_send (session, self->spool, tally, error);
}

static void
log_failure (WsReportSender *self,
             const char     *collector,
             const GError   *error)
{
  /* Translators: a collector, then what went wrong. */
  g_autofree char *text = g_strdup_printf (_("Cannot deliver reports to %s: %s"), collector,
                                           error->message);

  log_problem (self, text);
}

/* Tries the collectors in order until one takes the whole spool. */
static gboolean
attempt (WsReportSender *self)
{
  for (guint i = 0; i < self->collectors->len && !g_cancellable_is_cancelled (self->stop); i++)
    {
      const char *collector = self->collectors->pdata[i];
      g_autoptr(GError) error = NULL;
      WsCollectTally tally = { 0 };
      gboolean ok = run_session (self, collector, &tally, &error);

      if (ok)
        {
          log_tally (self, collector, &tally);
          g_mutex_lock (&self->lock);
          self->not_before_us = g_get_monotonic_time () + tally.retry_after_s * USEC_PER_SEC;
          g_mutex_unlock (&self->lock);
        }
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        log_failure (self, collector, error);
      ws_collect_tally_clear (&tally);
      if (ok)
        return TRUE;
    }
  return FALSE;
}

static void
after_attempt (WsReportSender *self,
               gboolean        ok)
{
  if (ok)
    {
      self->failures = 0;
      g_hash_table_remove_all (self->logged);
      if (ws_spool_get_count (self->spool) == 0)
        post (self, SIGNAL_DRAINED, TRUE, 0, NULL, NULL);
    }
  else
    {
      gint64 ceiling = ws_sender_backoff_ceiling_s (++self->failures) * USEC_PER_SEC;

      g_mutex_lock (&self->lock);
      self->not_before_us = g_get_monotonic_time () + (gint64) (g_random_double () * ceiling);
      g_mutex_unlock (&self->lock);
    }
  post (self, SIGNAL_ATTEMPT, ok, 0, NULL, NULL);
}

/* ---- The thread ---- */

/* Sleeps until there is something to do and the backoff allows it;
 * FALSE when the sender stops. Called with the lock held. */
static gboolean
wait_for_work (WsReportSender *self)
{
  while (!self->stopping)
    {
      gint64 now = g_get_monotonic_time ();
      gboolean work = ws_spool_get_count (self->spool) > 0 || now >= self->next_config_us;
      gint64 until = work ? self->not_before_us : self->next_config_us;

      if (work && now >= self->not_before_us)
        return TRUE;
      if (until == G_MAXINT64)
        g_cond_wait (&self->cond, &self->lock);
      else
        g_cond_wait_until (&self->cond, &self->lock, until);
    }
  return FALSE;
}

static gpointer
sender_thread (gpointer data)
{
  WsReportSender *self = data;

  g_mutex_lock (&self->lock);
  while (wait_for_work (self))
    {
      gboolean ok;

      g_mutex_unlock (&self->lock);
      ok = attempt (self);
      if (!g_cancellable_is_cancelled (self->stop))
        after_attempt (self, ok);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/* Starts the thread; its first attempt asks for the central configuration
 * at once, reports or not. */
void
ws_report_sender_start (WsReportSender *self)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));
  g_return_if_fail (self->thread == NULL);

  self->next_config_us = 0;
  self->thread = g_thread_new ("ws-report-sender", sender_thread, self);
}

/* A report was added to the spool. */
void
ws_report_sender_wake (WsReportSender *self)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));

  g_mutex_lock (&self->lock);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Ends a session under way at once; what it had not seen answered stays
 * in the spool. */
void
ws_report_sender_stop (WsReportSender *self)
{
  g_return_if_fail (WS_IS_REPORT_SENDER (self));

  if (self->thread == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_cancellable_cancel (self->stop);
  g_thread_join (g_steal_pointer (&self->thread));
}

/* ws-client.c — runs one test against a peer
 *
 * The facade: it finds the backend that speaks the peer's protocol
 * (ws-client-backend.c), has the test plan run the test's phases through
 * it (ws-test-plan.c) in a GTask worker thread, and hands samples,
 * notices and the peer's kind to the caller's main context through
 * coalesced idle callbacks.
 *
 * Cancelling the GCancellable before the test starts fails the run with
 * G_IO_ERROR_CANCELLED; cancelling during the test stops it early and the
 * result, marked interrupted, holds everything measured until then.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-client.h"
#include "ws-client-backend.h"
#include "ws-test-plan.h"

struct _WsClient {
  GObject parent_instance;

  GMainContext *context;
  GMutex lock;
  GQueue pending_samples; /* WsSample*, worker → main context */
  guint idle_id;
};

G_DEFINE_FINAL_TYPE (WsClient, ws_client, G_TYPE_OBJECT)

enum {
  SIGNAL_SAMPLE,
  SIGNAL_NOTICE,
  SIGNAL_PEER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- Delivering samples to the caller's main context ---- */

static gboolean
deliver_samples (gpointer data)
{
  WsClient *self = data;
  GQueue samples = G_QUEUE_INIT;
  WsSample *sample;

  g_mutex_lock (&self->lock);
  samples = self->pending_samples;
  g_queue_init (&self->pending_samples);
  self->idle_id = 0;
  g_mutex_unlock (&self->lock);

  while ((sample = g_queue_pop_head (&samples)))
    {
      g_signal_emit (self, signals[SIGNAL_SAMPLE], 0, sample);
      g_free (sample);
    }
  return G_SOURCE_REMOVE;
}

static void
post_sample (WsClient       *self,
             const WsSample *sample)
{
  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->pending_samples, g_memdup2 (sample, sizeof *sample));
  if (self->idle_id == 0)
    {
      GSource *source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, deliver_samples, g_object_ref (self), g_object_unref);
      g_source_set_static_name (source, "[wirespeed] deliver samples");
      self->idle_id = g_source_attach (source, self->context);
      g_source_unref (source);
    }
  g_mutex_unlock (&self->lock);
}

typedef struct {
  WsClient *client;
  guint signal;   /* SIGNAL_NOTICE or SIGNAL_PEER */
  char *text;
} Notice;

static gboolean
deliver_notice (gpointer data)
{
  Notice *notice = data;

  g_signal_emit (notice->client, signals[notice->signal], 0, notice->text);
  return G_SOURCE_REMOVE;
}

static void
notice_free (gpointer data)
{
  Notice *notice = data;

  g_object_unref (notice->client);
  g_free (notice->text);
  g_free (notice);
}

/* Hands @text (transfer full) to the caller's main context as @signal. At
 * the same priority as the samples and queued before them, so it comes
 * first. */
static void
post_text (WsClient *self,
           guint     signal,
           char     *text)
{
  Notice *notice = g_new0 (Notice, 1);
  GSource *source = g_idle_source_new ();

  notice->client = g_object_ref (self);
  notice->signal = signal;
  notice->text = text;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_notice, notice, notice_free);
  g_source_set_static_name (source, "[wirespeed] deliver notice");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

static void
post_notice (WsClient *self,
             char     *text)
{
  post_text (self, SIGNAL_NOTICE, text);
}


/* ---- The worker ---- */

/* One run of the client; lives in the worker thread only. */
typedef struct {
  WsClient *client;
  WsTestConfig config;
  GCancellable *stop;
  gboolean peer_told;   /* "peer" was emitted */
} Job;

static void
job_free (Job *job)
{
  ws_test_config_clear (&job->config);
  g_clear_object (&job->stop);
  g_object_unref (job->client);
  g_free (job);
}

static void
job_sample (const WsSample *sample,
            gpointer        data)
{
  Job *job = data;

  post_sample (job->client, sample);
}

static void
job_notice (char     *text,
            gpointer  data)
{
  Job *job = data;

  post_notice (job->client, text);
}

/* Once per run, however many sessions the peer answers. */
static void
job_peer (WsPeerKind kind,
          gpointer   data)
{
  Job *job = data;

  if (job->peer_told)
    return;
  job->peer_told = TRUE;
  post_text (job->client, SIGNAL_PEER, g_strdup (ws_peer_kind_to_string (kind)));
}

/* The backend for the peer. Each says its own kind, or the one the peer
 * turned out to need instead: that one is made in turn, knowing that the
 * peer has just answered as what it is. */
static WsClientBackend *
find_backend (Job                  *job,
              const WsClientEvents *events,
              GError              **error)
{
  WsPeerKind kind = job->config.mode == WS_TEST_HTTP ? WS_PEER_HTTP
                    : job->config.iperf3 ? WS_PEER_IPERF3 : WS_PEER_WIRESPEED;
  gboolean detected = FALSE;

  for (;;)
    {
      g_autoptr(WsClientBackend) backend = ws_client_backend_new (kind, &job->config, job->stop,
                                                                  events, detected);
      WsPeerKind found = ws_client_backend_identify (backend, error);

      if (found == WS_PEER_UNKNOWN)
        return NULL;
      if (found == kind)
        return g_steal_pointer (&backend);
      /* A detected peer is what it was detected as. */
      g_assert (!detected);
      kind = found;
      detected = TRUE;
    }
}

static void
run_worker (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Job *job = task_data;
  WsClientEvents events = { job_sample, job_notice, job_peer, job };
  WsClientBackend *backend;
  GError *error = NULL;
  WsResult *result = NULL;

  backend = find_backend (job, &events, &error);
  if (backend != NULL)
    result = ws_test_plan_run (backend, &job->config, &events, &error);
  /* Its connections closed before the caller hears of the result. */
  g_clear_object (&backend);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) ws_result_unref);
}

/**
 * ws_client_run_async:
 *
 * Runs one test. The "sample" signal is emitted once per interval on the
 * thread-default main context of the caller of this function.
 */
void
ws_client_run_async (WsClient            *self,
                     const WsTestConfig  *config,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Job *job;

  g_return_if_fail (WS_IS_CLIENT (self));
  g_return_if_fail (config != NULL && config->target != NULL);

  g_clear_pointer (&self->context, g_main_context_unref);
  self->context = g_main_context_ref_thread_default ();

  job = g_new0 (Job, 1);
  job->client = g_object_ref (self);
  ws_test_config_copy (&job->config, config);
  job->stop = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, ws_client_run_async);
  /* Cancelling means "stop early", not "throw the result away". */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_worker);
}

WsResult *
ws_client_run_finish (WsClient      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ws_client_finalize (GObject *object)
{
  WsClient *self = WS_CLIENT (object);

  g_queue_clear_full (&self->pending_samples, g_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (ws_client_parent_class)->finalize (object);
}

static void
ws_client_class_init (WsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ws_client_finalize;

  /**
   * WsClient::sample:
   * @sample: (type gpointer): a WsSample, valid during the emission
   */
  signals[SIGNAL_SAMPLE] = g_signal_new ("sample", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_POINTER);

  /**
   * WsClient::notice:
   * @text: one line for the person running the test, e.g. that the
   *   server granted a shorter test than was asked for
   *
   * Emitted before the first sample of the session it concerns.
   */
  signals[SIGNAL_NOTICE] = g_signal_new ("notice", G_TYPE_FROM_CLASS (klass),
                                         G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                         G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * WsClient::peer:
   * @kind: "wirespeed", "iperf3" or "http"
   *
   * Emitted once per run, as soon as the server has answered and its kind
   * is known (before any notice or sample): what the test will be, e.g.
   * whether a speed test has an idle-latency phase, depends on it.
   */
  signals[SIGNAL_PEER] = g_signal_new ("peer", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                       G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
ws_client_init (WsClient *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->pending_samples);
}

WsClient *
ws_client_new (void)
{
  return g_object_new (WS_TYPE_CLIENT, NULL);
}

/* ws-collector.c — agents' reports into a store: `wirespeed --server --collect`
 *
 * Every report connection runs on its own server thread (ws-collector-
 * connection.c): it reads what its agent sent, judges it, and queues the
 * valid reports here. One writer thread takes whatever is queued, from
 * every connection, up to WS_COLLECTOR_BATCH_MAX, into one
 * ws_store_add_many(): one commit for many reports (group commit), since
 * a commit, not a row, is what a store's throughput is counted in
 * (docs/MONITORING.md). While one commit runs, the next batch gathers;
 * nothing waits for a batch to fill. Each connection then answers its
 * own reports, after the commit returned.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "ws-collector-private.h"

/* Retention runs at start and then this often. */
#define PRUNE_PERIOD_US (G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC)
/* A batch the store refused as a whole is retried report by report, but
 * not past this many failures in a row: a store that is down fails all. */
#define MAX_SINGLE_FAILURES 2

typedef struct {
  gdouble tokens;
  gint64 refilled_us;
  WsCollectorStats stats;
} WsCollectorAgent;

static void ws_collector_report_sink_init (WsReportSinkInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (WsCollector, ws_collector, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (WS_TYPE_REPORT_SINK,
                                                      ws_collector_report_sink_init))

static void
ws_collector_finalize (GObject *object)
{
  WsCollector *self = WS_COLLECTOR (object);

  ws_collector_stop (self);
  g_clear_object (&self->store);
  g_free (self->config_dir);
  g_hash_table_unref (self->relays);
  g_hash_table_unref (self->blocked);
  g_hash_table_unref (self->agents);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->wake);

  G_OBJECT_CLASS (ws_collector_parent_class)->finalize (object);
}

static void
ws_collector_class_init (WsCollectorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ws_collector_finalize;
}

static void
ws_collector_init (WsCollector *self)
{
  self->max_report = WS_REPORT_DEFAULT_MAX;
  self->window = WS_COLLECTOR_DEFAULT_WINDOW;
  self->rate = WS_COLLECTOR_DEFAULT_RATE;
  self->relays = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->blocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_queue_init (&self->queue);
  g_mutex_init (&self->lock);
  g_cond_init (&self->wake);
}

WsCollector *
ws_collector_new (WsStore *store)
{
  WsCollector *self;

  g_return_val_if_fail (WS_IS_STORE (store), NULL);
  self = g_object_new (WS_TYPE_COLLECTOR, NULL);
  self->store = g_object_ref (store);
  return self;
}

/* The largest REPORT payload taken, within the protocol's bounds. */
void
ws_collector_set_max_report (WsCollector *self,
                             guint32      bytes)
{
  self->max_report = CLAMP (bytes, WS_REPORT_MIN_MAX, WS_REPORT_MAX_MAX);
}

void
ws_collector_set_window (WsCollector *self,
                         guint16      window)
{
  self->window = MAX (window, 1);
}

/* Per agent (a key name; with RELAY, the name a report gives); 0: none. */
void
ws_collector_set_rate (WsCollector *self,
                       gdouble      reports_per_second)
{
  self->rate = MAX (reports_per_second, 0);
}

/* Agents' central configurations: DIR/NAME.conf, read at each request. */
void
ws_collector_set_agent_config_dir (WsCollector *self,
                                   const char  *dir)
{
  g_free (self->config_dir);
  self->config_dir = g_strdup (dir);
}

void
ws_collector_add_trusted_relay (WsCollector *self,
                                const char  *key_name)
{
  g_hash_table_add (self->relays, g_strdup (key_name));
}

/* An agent whose reports are refused: its own connections, and what a
 * relay forwards in its name (so a blocklist holds along a chain). */
void
ws_collector_add_blocked (WsCollector *self,
                          const char  *agent)
{
  g_hash_table_add (self->blocked, g_strdup (agent));
}

/* Reports whose test started longer ago than this are deleted, at start
 * and hourly; 0 keeps everything. */
void
ws_collector_set_retain (WsCollector *self,
                         gint64       seconds)
{
  self->retain_s = MAX (seconds, 0);
}

gboolean
_ws_collector_trusts_relay (WsCollector *self,
                            const char  *key_name)
{
  return g_hash_table_contains (self->relays, key_name);
}

gboolean
_ws_collector_blocks (WsCollector *self,
                      const char  *agent)
{
  return g_hash_table_contains (self->blocked, agent);
}

/* Under the lock. */
static WsCollectorAgent *
agent_locked (WsCollector *self,
              const char  *name)
{
  WsCollectorAgent *agent = g_hash_table_lookup (self->agents, name);

  if (agent == NULL)
    {
      agent = g_new0 (WsCollectorAgent, 1);
      agent->tokens = self->rate * WS_COLLECTOR_BURST_S;
      agent->refilled_us = g_get_monotonic_time ();
      g_hash_table_insert (self->agents, g_strdup (name), agent);
    }
  return agent;
}

/* A token bucket per agent: @rate per second, WS_COLLECTOR_BURST_S
 * seconds' worth of room. FALSE: over the rate, and *retry_after_s is
 * when the next token is there. */
gboolean
_ws_collector_take_token (WsCollector *self,
                          const char  *agent_name,
                          guint16     *retry_after_s)
{
  g_autoptr(GMutexLocker) locker = NULL;
  WsCollectorAgent *agent;
  gint64 now = g_get_monotonic_time ();
  gdouble room = self->rate * WS_COLLECTOR_BURST_S;

  if (self->rate <= 0)
    return TRUE;
  locker = g_mutex_locker_new (&self->lock);
  agent = agent_locked (self, agent_name);
  agent->tokens = MIN (room, agent->tokens + (now - agent->refilled_us) * self->rate / G_USEC_PER_SEC);
  agent->refilled_us = now;
  if (agent->tokens >= 1)
    {
      agent->tokens -= 1;
      return TRUE;
    }
  *retry_after_s = (guint16) CLAMP (ceil ((1 - agent->tokens) / self->rate), 1, G_MAXUINT16);
  return FALSE;
}

static void
count_locked (WsCollectorStats *stats,
              WsAckStatus       status,
              gboolean          store_failed)
{
  switch (status)
    {
    case WS_ACK_STORED:
      stats->stored++;
      break;
    case WS_ACK_DUPLICATE:
      stats->duplicate++;
      break;
    case WS_ACK_REJECTED:
      stats->rejected++;
      break;
    case WS_ACK_RETRY:
      stats->retried++;
      stats->store_failed += store_failed;
      break;
    default:
      g_assert_not_reached ();
    }
}

/* One answer given to @agent, in the collector's and the agent's counters. */
void
_ws_collector_count (WsCollector *self,
                     const char  *agent,
                     WsAckStatus  status,
                     gboolean     store_failed)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  count_locked (&self->stats, status, store_failed);
  count_locked (&agent_locked (self, agent)->stats, status, store_failed);
}

void
_ws_collector_count_connection (WsCollector *self,
                                const char  *agent)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  self->stats.connections++;
  agent_locked (self, agent)->stats.connections++;
}

void
ws_collector_get_stats (WsCollector      *self,
                        WsCollectorStats *stats)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  *stats = self->stats;
  stats->queued = g_queue_get_length (&self->queue);
}

/* FALSE when @agent never reported here. */
gboolean
ws_collector_get_agent_stats (WsCollector      *self,
                              const char       *agent,
                              WsCollectorStats *stats)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  WsCollectorAgent *a = g_hash_table_lookup (self->agents, agent);

  if (a == NULL)
    return FALSE;
  *stats = a->stats;
  return TRUE;
}

void
_ws_collector_entry_free (WsCollectorEntry *entry)
{
  g_clear_pointer (&entry->report, ws_report_free);
  g_free (entry->text);
  g_free (entry);
}

static void
answer_retry (WsCollectorEntry *entry,
              const char       *why)
{
  entry->status = WS_ACK_RETRY;
  entry->retry_after_s = WS_COLLECTOR_STORE_RETRY_S;
  g_free (entry->text);
  entry->text = g_strdup_printf ("The collector's store failed: %s", why);
}

static void
answer_outcome (WsCollectorEntry *entry,
                WsStoreOutcome    outcome)
{
  entry->status = outcome == WS_STORE_NEW ? WS_ACK_STORED : WS_ACK_DUPLICATE;
}

/* Report by report, after the batch failed as a whole: one bad report
 * must not cost the others their place. */
static void
store_one_by_one (WsCollector       *self,
                  WsCollectorEntry **entries,
                  guint              n,
                  const GError      *batch_error)
{
  g_autoptr(GError) last = g_error_copy (batch_error);
  guint failures = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      WsStoreOutcome outcome;

      if (failures < MAX_SINGLE_FAILURES
          && ws_store_add (self->store, entries[i]->report, &outcome, &error))
        {
          answer_outcome (entries[i], outcome);
          failures = 0;
          continue;
        }
      if (error != NULL)
        {
          failures++;
          g_clear_error (&last);
          last = g_steal_pointer (&error);
        }
      answer_retry (entries[i], last->message);
    }
}

/* On the writer thread: one transaction for the lot, and every entry
 * answered, whatever happened. */
static void
store_batch (WsCollector       *self,
             WsCollectorEntry **entries,
             guint              n)
{
  g_autofree WsReport **reports = g_new (WsReport *, n);
  g_autofree WsStoreOutcome *outcomes = g_new (WsStoreOutcome, n);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    reports[i] = entries[i]->report;
  if (ws_store_add_many (self->store, reports, n, outcomes, &error))
    {
      for (guint i = 0; i < n; i++)
        answer_outcome (entries[i], outcomes[i]);
      return;
    }
  g_message ("collector: storing %u reports failed: %s", n, error->message);
  if (n > 1)
    store_one_by_one (self, entries, n, error);
  else
    answer_retry (entries[0], error->message);
}

static void
prune (WsCollector *self)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autoptr(GDateTime) before = g_date_time_add_seconds (now, -(gdouble) self->retain_s);
  g_autoptr(GError) error = NULL;
  gint64 n = ws_store_prune (self->store, before, &error);

  if (n < 0)
    g_message ("collector: retention failed: %s", error->message);
  else
    g_info ("collector: retention deleted %" G_GINT64_FORMAT " reports", n);
}

/* Under the lock: waits for work, pruning when it is time. FALSE when the
 * collector stops with nothing left to store. */
static gboolean
wait_for_work_locked (WsCollector *self,
                      gint64      *next_prune_us)
{
  while (g_queue_is_empty (&self->queue) && !self->stopping)
    {
      if (self->retain_s == 0)
        {
          g_cond_wait (&self->wake, &self->lock);
          continue;
        }
      if (g_cond_wait_until (&self->wake, &self->lock, *next_prune_us))
        continue;
      g_mutex_unlock (&self->lock);
      prune (self);
      g_mutex_lock (&self->lock);
      *next_prune_us = g_get_monotonic_time () + PRUNE_PERIOD_US;
    }
  return !g_queue_is_empty (&self->queue);
}

static gpointer
writer_thread (gpointer data)
{
  WsCollector *self = data;
  WsCollectorEntry *batch[WS_COLLECTOR_BATCH_MAX];
  gint64 next_prune_us = g_get_monotonic_time () + PRUNE_PERIOD_US;

  if (self->retain_s > 0)
    prune (self);
  g_mutex_lock (&self->lock);
  while (wait_for_work_locked (self, &next_prune_us))
    {
      guint n = 0;

      while (n < G_N_ELEMENTS (batch) && !g_queue_is_empty (&self->queue))
        batch[n++] = g_queue_pop_head (&self->queue);
      self->stats.commits++;
      g_mutex_unlock (&self->lock);

      store_batch (self, batch, n);

      g_mutex_lock (&self->lock);
      for (guint i = 0; i < n; i++)
        if (--batch[i]->burst->n_waiting == 0)
          g_cond_signal (&batch[i]->burst->done);
    }
  g_mutex_unlock (&self->lock);
  return NULL;
}

/**
 * _ws_collector_commit:
 * @entries: (element-type WsCollectorEntry): valid reports of one connection
 *
 * Queues @entries for the writer and waits until it has answered every
 * one: STORED or DUPLICATE after the commit returned, or RETRY.
 */
void
_ws_collector_commit (WsCollector      *self,
                      GPtrArray        *entries,
                      WsCollectorBurst *burst)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);

  if (self->writer == NULL || self->stopping)
    {
      for (guint i = 0; i < entries->len; i++)
        answer_retry (g_ptr_array_index (entries, i), "the collector is stopping");
      return;
    }
  burst->n_waiting = entries->len;
  for (guint i = 0; i < entries->len; i++)
    {
      WsCollectorEntry *entry = g_ptr_array_index (entries, i);

      entry->burst = burst;
      g_queue_push_tail (&self->queue, entry);
    }
  g_cond_signal (&self->wake);
  while (burst->n_waiting > 0)
    g_cond_wait (&burst->done, &self->lock);
}

/* Starts the writer, which prunes first when retention is set. */
gboolean
ws_collector_start (WsCollector  *self,
                    GError      **error)
{
  g_return_val_if_fail (self->writer == NULL, FALSE);

  self->stopping = FALSE;
  self->writer = g_thread_try_new ("ws-collector", writer_thread, self, error);
  return self->writer != NULL;
}

/* Stores what is queued, then stops the writer. The server goes first:
 * its connections are the ones waiting for the writer. */
void
ws_collector_stop (WsCollector *self)
{
  GThread *writer;

  g_mutex_lock (&self->lock);
  writer = g_steal_pointer (&self->writer);
  self->stopping = TRUE;
  g_cond_signal (&self->wake);
  g_mutex_unlock (&self->lock);
  if (writer != NULL)
    g_thread_join (writer);
}

static gboolean
ws_collector_serve (WsReportSink        *sink,
                    const WsReportPeer  *peer,
                    GError             **error)
{
  return _ws_collector_serve (WS_COLLECTOR (sink), peer, error);
}

static void
ws_collector_report_sink_init (WsReportSinkInterface *iface)
{
  iface->serve = ws_collector_serve;
}

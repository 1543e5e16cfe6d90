/* ws-test-plan.c — the phases of a test, run through any backend
 *
 * A throughput test with latency under load is an idle probe (a few
 * seconds of UDP request/response on the quiet link) and then the load
 * with a probe beside it; the speed test is the idle probe, a download and
 * an upload. A backend whose peer has no request/response of its own
 * measures idle latency inside its load phases, and the plan skips the
 * idle probe. Each phase is one session with the peer; the plan puts
 * their samples on one clock and their figures into one result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ws-sampler.h"
#include "ws-test-plan.h"

/* The idle probe's length and pace (the loaded probe's pace too). */
#define IDLE_PROBE_S 2

typedef struct {
  WsClientBackend *backend;
  const WsTestConfig *config;
  const WsClientEvents *events;
  const WsResult *before;   /* the phase whose samples come first */
} Plan;

/* A phase's samples, after those of the phase before it. */
static void
post_sample (const WsSample *sample,
             gpointer        data)
{
  Plan *plan = data;
  WsSample s = *sample;

  if (plan->before != NULL)
    {
      s.index += plan->before->samples->len;
      s.start_s += plan->before->elapsed_s;
      s.end_s += plan->before->elapsed_s;
    }
  plan->events->sample (&s, plan->events->user_data);
}

static WsResult *
run_phase (Plan               *plan,
           const WsTestConfig *config,
           gboolean            loaded,
           gboolean            post,
           const WsResult     *before,
           GError            **error)
{
  WsPhase phase = { config, loaded, post ? post_sample : NULL, plan };

  plan->before = before;
  return ws_client_backend_run_phase (plan->backend, &phase, error);
}

/* A result of several phases has the busiest one's count of the server's
 * other tests: any phase may have shared the server with them. */
static void
take_server_tests (WsResult       *into,
                   const WsResult *phase)
{
  if (phase != NULL)
    into->server_tests = MAX (into->server_tests, phase->server_tests);
}

/* A few seconds of probing on a quiet link: the baseline that latency
 * under load is compared with. */
static WsResult *
run_idle_probe (Plan    *plan,
                GError **error)
{
  WsTestConfig idle;
  WsResult *result;

  ws_test_config_copy (&idle, plan->config);
  idle.mode = WS_TEST_UDP_RR;
  idle.streams = 1;
  idle.duration_s = IDLE_PROBE_S;
  idle.rr_pace_us = WS_PROBE_INTERVAL_NS / 1000;
  result = run_phase (plan, &idle, FALSE, FALSE, NULL, error);
  ws_test_config_clear (&idle);
  return result;
}

/* Stopped during the idle probe: what there is, which is idle latency. */
static WsResult *
idle_only (Plan     *plan,
           WsResult *idle)
{
  WsResult *r = ws_client_result_new (plan->config);

  /* The load never ran, so neither did a fixed size. */
  r->bytes = 0;
  ws_client_result_copy_peer (r, idle);
  ws_sampler_merge_idle (r, &idle->latency, idle->interrupted);
  return r;
}

static WsResult *
run_under_load (Plan    *plan,
                GError **error)
{
  g_autoptr(WsResult) idle = run_idle_probe (plan, error);
  WsResult *load;

  if (idle == NULL)
    return NULL;
  if (idle->interrupted)
    return idle_only (plan, idle);
  load = run_phase (plan, plan->config, TRUE, TRUE, NULL, error);
  if (load != NULL)
    {
      ws_sampler_merge_idle (load, &idle->latency, idle->interrupted);
      take_server_tests (load, idle);
    }
  return load;
}

/* The speed test's result from its phases: @up is NULL when the test was
 * stopped during the download. */
static WsResult *
combine_speed (Plan            *plan,
               const WsLatency *idle_latency,
               const WsResult  *down,
               const WsResult  *up)
{
  WsResult *r = ws_client_result_new (plan->config);

  r->direction = WS_DIRECTION_BIDIR;
  r->streams = down->streams;
  r->duration_s = down->duration_s;
  r->length = down->length;
  ws_client_result_copy_peer (r, down);
  take_server_tests (r, up);
  /* An iperf3 server's phases are timed differently (ws-iperf3-client.c). */
  if (up != NULL && g_strcmp0 (down->latency_method, up->latency_method) != 0)
    r->latency_method = g_strdup_printf ("download: %s; upload: %s",
                                         down->latency_method, up->latency_method);
  else
    r->latency_method = g_strdup (down->latency_method);
  ws_sampler_merge_idle (r, idle_latency, FALSE);
  ws_sampler_merge_speed_phase (r, down, WS_DIRECTION_DOWNLOAD);
  if (up != NULL)
    ws_sampler_merge_speed_phase (r, up, WS_DIRECTION_UPLOAD);
  return r;
}

/* The speed test: idle latency, then download, then upload, each load
 * phase with its own loaded latency. */
static WsResult *
run_speed (Plan    *plan,
           GError **error)
{
  g_autoptr(WsResult) idle = NULL;
  g_autoptr(WsResult) down = NULL;
  g_autoptr(WsResult) up = NULL;
  WsResult *speed;
  WsTestConfig phase;

  if (ws_client_backend_has_idle_probe (plan->backend))
    {
      idle = run_idle_probe (plan, error);
      if (idle == NULL)
        return NULL;
      if (idle->interrupted)
        return idle_only (plan, idle);
    }
  ws_test_config_copy (&phase, plan->config);
  phase.mode = WS_TEST_TCP_STREAM;
  phase.direction = WS_DIRECTION_DOWNLOAD;
  down = run_phase (plan, &phase, TRUE, TRUE, NULL, error);
  if (down != NULL && !down->interrupted)
    {
      phase.direction = WS_DIRECTION_UPLOAD;
      up = run_phase (plan, &phase, TRUE, TRUE, down, error);
    }
  ws_test_config_clear (&phase);
  if (down == NULL || (up == NULL && !down->interrupted))
    return NULL;
  speed = combine_speed (plan, idle != NULL ? &idle->latency : &down->idle_latency, down, up);
  take_server_tests (speed, idle);
  return speed;
}

/**
 * ws_test_plan_run:
 *
 * Runs the test @config asks for through @backend, phase by phase, and
 * returns it as one result. Samples go to @events as they come.
 */
WsResult *
ws_test_plan_run (WsClientBackend      *backend,
                  const WsTestConfig   *config,
                  const WsClientEvents *events,
                  GError              **error)
{
  Plan plan = { backend, config, events, NULL };

  if (!ws_client_backend_check (backend, config, error))
    return NULL;
  if (config->mode == WS_TEST_SPEED)
    return run_speed (&plan, error);
  if (!ws_test_mode_is_rr (config->mode) && config->latency_probe
      && ws_client_backend_has_idle_probe (backend))
    return run_under_load (&plan, error);
  return run_phase (&plan, config, FALSE, TRUE, NULL, error);
}

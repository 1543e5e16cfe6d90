/* ws-schedule.h — when an agent's tests run: the math, without a clock
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "ws-test-config.h"

G_BEGIN_DECLS

#define WS_MINUTES_PER_DAY 1440
/* The longest interval or slip a schedule takes: a week. */
#define WS_SCHEDULE_MAX_S (7 * 24 * 3600)

typedef enum {
  WS_SCHEDULE_EVERY,  /* every N seconds from the agent's start */
  WS_SCHEDULE_AT,     /* at wall-clock minutes, local time */
} WsScheduleKind;

/* `at = *:00,*:30`: the minutes of the day that start a run. */
typedef struct {
  guint64 minutes[(WS_MINUTES_PER_DAY + 63) / 64];
} WsAtSpec;

/* One schedule: a test and when it runs. */
typedef struct {
  char *name;          /* the config group, for logs */
  WsTestConfig test;
  WsScheduleKind kind;
  gint64 every_s;      /* EVERY */
  WsAtSpec at;         /* AT */
  gint64 slip_s;       /* each run starts up to this much later, at random */
} WsSchedule;

/* Where one schedule is: the slot it waits for and when it runs it. */
typedef struct {
  gint64 anchor_us;    /* EVERY: the grid's origin (the agent's start) */
  gint64 due_us;       /* the slot, wall clock, µs since the epoch */
  gint64 run_us;       /* the slot plus this run's slip */
} WsScheduleState;

WsSchedule *ws_schedule_new        (const char        *name);
void        ws_schedule_free       (WsSchedule        *schedule);
WsSchedule *ws_schedule_copy       (const WsSchedule  *schedule);

gboolean    ws_parse_duration      (const char        *text,
                                    gint64            *seconds);
gboolean    ws_at_spec_parse       (const char        *text,
                                    WsAtSpec          *spec,
                                    GError           **error);
gboolean    ws_at_spec_is_empty    (const WsAtSpec    *spec);
gint64      ws_at_spec_next        (const WsAtSpec    *spec,
                                    GTimeZone         *tz,
                                    gint64             after_us);
gint64      ws_schedule_next_slot  (const WsSchedule  *schedule,
                                    gint64             anchor_us,
                                    gint64             after_us,
                                    GTimeZone         *tz);
gint64      ws_schedule_draw_slip  (const WsSchedule  *schedule);
void        ws_schedule_start      (const WsSchedule  *schedule,
                                    WsScheduleState   *state,
                                    gint64             now_us,
                                    GTimeZone         *tz,
                                    gint64             slip_us);
gboolean    ws_schedule_tick       (const WsSchedule  *schedule,
                                    WsScheduleState   *state,
                                    gint64             now_us,
                                    GTimeZone         *tz,
                                    gint64             slip_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsSchedule, ws_schedule_free)

G_END_DECLS

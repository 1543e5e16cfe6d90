/* ws-schedule.c — when an agent's tests run: the math, without a clock
 *
 * Every function here takes "now" and the time zone as arguments, and the
 * random slip as a number already drawn, so that the tests can ask what
 * happens after a night of sleep without waiting for one.
 *
 * Two rules make the schedule robust against a machine that sleeps or
 * whose clock is set: a slot that was missed runs once (the next slot is
 * the first one after *now*, not after the missed one), and a slot
 * further away than the schedule allows (the clock went back) is computed
 * afresh.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ws-schedule.h"
#include "ws-units.h"

#define USEC_PER_SEC G_GINT64_CONSTANT (1000000)

WsSchedule *
ws_schedule_new (const char *name)
{
  WsSchedule *schedule = g_new0 (WsSchedule, 1);

  schedule->name = g_strdup (name);
  ws_test_config_init (&schedule->test);
  return schedule;
}

void
ws_schedule_free (WsSchedule *schedule)
{
  g_free (schedule->name);
  ws_test_config_clear (&schedule->test);
  g_free (schedule);
}

WsSchedule *
ws_schedule_copy (const WsSchedule *schedule)
{
  WsSchedule *copy = g_memdup2 (schedule, sizeof *schedule);

  copy->name = g_strdup (schedule->name);
  ws_test_config_copy (&copy->test, &schedule->test);
  return copy;
}

/* A schedule's durations: at most a week. */
gboolean
ws_parse_duration (const char *text,
                   gint64     *seconds)
{
  return ws_parse_duration_upto (text, WS_SCHEDULE_MAX_S, seconds);
}

static gboolean
parse_number (const char *text,
              guint       max,
              guint      *value)
{
  gsize len = strlen (text);

  if (len == 0 || len > 2 || !g_ascii_isdigit (text[0]) || (len == 2 && !g_ascii_isdigit (text[1])))
    return FALSE;
  *value = (guint) g_ascii_strtoull (text, NULL, 10);
  return *value <= max;
}

static void
set_minute (WsAtSpec *spec,
            guint     minute)
{
  spec->minutes[minute / 64] |= G_GUINT64_CONSTANT (1) << (minute % 64);
}

static gboolean
has_minute (const WsAtSpec *spec,
            guint           minute)
{
  return (spec->minutes[minute / 64] >> (minute % 64)) & 1;
}

/* One item, HOUR:MINUTE with HOUR a number or "*". */
static gboolean
parse_item (WsAtSpec   *spec,
            const char *item)
{
  g_auto(GStrv) parts = g_strsplit (item, ":", -1);
  guint hour, minute;

  if (g_strv_length (parts) != 2 || !parse_number (parts[1], 59, &minute))
    return FALSE;
  if (strcmp (parts[0], "*") == 0)
    {
      for (hour = 0; hour < 24; hour++)
        set_minute (spec, hour * 60 + minute);
      return TRUE;
    }
  if (!parse_number (parts[0], 23, &hour))
    return FALSE;
  set_minute (spec, hour * 60 + minute);
  return TRUE;
}

/**
 * ws_at_spec_parse:
 * @text: "*:00,*:30", "06:15, 18:15": times of day, comma-separated
 *
 * The grammar (docs/MONITORING.md): a list of HOUR:MINUTE separated by
 * commas, HOUR 0–23 or "*" (every hour), MINUTE 0–59, one or two digits
 * each; blanks around an item are ignored.
 */
gboolean
ws_at_spec_parse (const char  *text,
                  WsAtSpec    *spec,
                  GError     **error)
{
  g_auto(GStrv) items = g_strsplit (text, ",", -1);
  gboolean ok = items[0] != NULL;

  memset (spec, 0, sizeof *spec);
  for (guint i = 0; ok && items[i] != NULL; i++)
    ok = parse_item (spec, g_strstrip (items[i]));
  if (ok)
    return TRUE;
  g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
               _("must be times of day like *:00,*:30 or 06:15 (HOUR:MINUTE, HOUR may be *), not “%s”"),
               text);
  return FALSE;
}

gboolean
ws_at_spec_is_empty (const WsAtSpec *spec)
{
  for (guint i = 0; i < G_N_ELEMENTS (spec->minutes); i++)
    if (spec->minutes[i] != 0)
      return FALSE;
  return TRUE;
}

/* The first listed minute of the local day @ymd after @after_us, or 0. A
 * time the day does not have (a DST gap) or has twice is whatever single
 * instant GLib makes of it: either way the schedule runs once. */
static gint64
next_in_day (const WsAtSpec *spec,
             GTimeZone      *tz,
             const gint      ymd[3],
             guint           first_minute,
             gint64          after_us)
{
  for (guint m = first_minute; m < WS_MINUTES_PER_DAY; m++)
    {
      g_autoptr(GDateTime) t = NULL;
      gint64 us;

      if (!has_minute (spec, m))
        continue;
      t = g_date_time_new (tz, ymd[0], ymd[1], ymd[2], m / 60, m % 60, 0);
      if (t == NULL)
        continue;
      us = g_date_time_to_unix (t) * USEC_PER_SEC;
      if (us > after_us)
        return us;
    }
  return 0;
}

/**
 * ws_at_spec_next:
 *
 * Returns: the first listed wall-clock time in @tz strictly after
 *   @after_us (µs since the epoch), in µs since the epoch; 0 for an empty
 *   spec.
 */
gint64
ws_at_spec_next (const WsAtSpec *spec,
                 GTimeZone      *tz,
                 gint64          after_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (after_us / USEC_PER_SEC);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autoptr(GDateTime) noon = g_date_time_new (tz, g_date_time_get_year (local),
                                               g_date_time_get_month (local),
                                               g_date_time_get_day_of_month (local), 12, 0, 0);
  /* Earlier minutes of today cannot come after now, DST's extra hour
   * aside: start three hours back. */
  gint now_minute = g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local);

  if (ws_at_spec_is_empty (spec))
    return 0;
  for (gint day = 0; day < 3; day++)
    {
      g_autoptr(GDateTime) d = g_date_time_add_days (noon, day);
      gint ymd[3];
      gint64 us;

      g_date_time_get_ymd (d, &ymd[0], &ymd[1], &ymd[2]);
      us = next_in_day (spec, tz, ymd, day == 0 ? MAX (now_minute - 180, 0) : 0, after_us);
      if (us != 0)
        return us;
    }
  return 0;
}

/**
 * ws_schedule_next_slot:
 * @anchor_us: EVERY: the grid's origin
 *
 * Returns: the schedule's first slot strictly after @after_us.
 */
gint64
ws_schedule_next_slot (const WsSchedule *schedule,
                       gint64            anchor_us,
                       gint64            after_us,
                       GTimeZone        *tz)
{
  gint64 period = schedule->every_s * USEC_PER_SEC;

  if (schedule->kind == WS_SCHEDULE_AT)
    return ws_at_spec_next (&schedule->at, tz, after_us);
  if (after_us < anchor_us)
    return anchor_us;
  return anchor_us + ((after_us - anchor_us) / period + 1) * period;
}

/* A random delay in [0, slip]. */
gint64
ws_schedule_draw_slip (const WsSchedule *schedule)
{
  if (schedule->slip_s <= 0)
    return 0;
  return (gint64) (g_random_double () * (schedule->slip_s * USEC_PER_SEC + 1));
}

/**
 * ws_schedule_start:
 * @slip_us: the first run's slip, from ws_schedule_draw_slip()
 *
 * An EVERY schedule runs first at @now_us (plus its slip), an AT schedule
 * at its next time.
 */
void
ws_schedule_start (const WsSchedule *schedule,
                   WsScheduleState  *state,
                   gint64            now_us,
                   GTimeZone        *tz,
                   gint64            slip_us)
{
  state->anchor_us = now_us;
  state->due_us = schedule->kind == WS_SCHEDULE_EVERY ? now_us
                  : ws_at_spec_next (&schedule->at, tz, now_us);
  state->run_us = state->due_us + slip_us;
}

/* Further away than the schedule allows: the wall clock went back. */
static gboolean
clock_went_back (const WsSchedule      *schedule,
                 const WsScheduleState *state,
                 gint64                 now_us,
                 GTimeZone             *tz)
{
  if (schedule->kind == WS_SCHEDULE_EVERY)
    return state->due_us - now_us > schedule->every_s * USEC_PER_SEC;
  return state->due_us > ws_at_spec_next (&schedule->at, tz, now_us);
}

/**
 * ws_schedule_tick:
 * @slip_us: the slip of the run after this one, if this one is due
 *
 * Returns: whether the schedule's run is due at @now_us. It then moves on
 * to the first slot after @now_us: however many slots passed while the
 * machine slept, they are one run.
 */
gboolean
ws_schedule_tick (const WsSchedule *schedule,
                  WsScheduleState  *state,
                  gint64            now_us,
                  GTimeZone        *tz,
                  gint64            slip_us)
{
  if (state->run_us <= now_us)
    {
      state->due_us = ws_schedule_next_slot (schedule, state->anchor_us, now_us, tz);
      state->run_us = state->due_us + slip_us;
      return TRUE;
    }
  if (clock_went_back (schedule, state, now_us, tz))
    {
      if (schedule->kind == WS_SCHEDULE_EVERY)
        state->anchor_us = now_us;
      state->due_us = ws_schedule_next_slot (schedule, state->anchor_us, now_us, tz);
      state->run_us = state->due_us + slip_us;
    }
  return FALSE;
}

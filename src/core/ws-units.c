/* ws-units.c — numbers as people read them
 *
 * Decimal SI prefixes throughout (1 Mbit/s = 10^6 bit/s, 1 MB = 10^6 bytes),
 * as network links are sold and as iperf3's bit rates are printed; sizes the
 * user types accept binary K/M/G (1K = 1024), as iperf3's -l does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <math.h>

#include "ws-result.h"
#include <string.h>

#include "ws-units.h"

/* @value as printed with @decimals places, read back: what a person sees.
 * The C locale's "%.2f" rounds exactly as the user's locale's does; only
 * the decimal separator differs. */
static gdouble
shown (gdouble value,
       int     decimals)
{
  static const char *const formats[] = { "%.0f", "%.1f", "%.2f" };
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_ascii_strtod (g_ascii_formatd (buf, sizeof buf, formats[decimals], value), NULL);
}

static char *
format_scaled (gdouble      value,
               const char  *const *units)
{
  guint i = 0;
  int decimals;

  while (value >= 1000.0 && units[i + 1] != NULL)
    {
      value /= 1000.0;
      i++;
    }
  /* Three significant figures: 9.41, 94.1, 941. */
  if (i == 0 || value >= 100)
    decimals = 0;
  else if (value >= 10)
    decimals = 1;
  else
    decimals = 2;
  /* Rounding can carry into a fourth figure: 9.996 would print "10.00",
   * 99.96 "100.0", 999.6 k "1000 k". Print what a person would write
   * instead: "10.0", "100", "1.00 M". The largest unit has nowhere to
   * go and keeps counting: "1000 Tbit/s". */
  if (decimals == 2 && shown (value, 2) >= 10)
    decimals = 1;
  if (decimals == 1 && shown (value, 1) >= 100)
    decimals = 0;
  if (decimals == 0 && shown (value, 0) >= 1000 && units[i + 1] != NULL)
    {
      value /= 1000.0;
      i++;
      decimals = 2;
    }
  /* The user's locale's decimal separator, as in "9,41 Mbit/s" in German:
   * these strings are shown, never parsed. */
  return g_strdup_printf ("%.*f %s", decimals, value, units[i]);
}

char *
ws_format_bitrate (gdouble bits_per_second)
{
  static const char *const units[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", NULL };

  return format_scaled (bits_per_second, units);
}

char *
ws_format_bytes (guint64 bytes)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", NULL };

  return format_scaled (bytes, units);
}

/* MB/s for people who think in file sizes. */
char *
ws_format_byterate (gdouble bits_per_second)
{
  static const char *const units[] = { "B/s", "kB/s", "MB/s", "GB/s", "TB/s", NULL };

  return format_scaled (bits_per_second / 8, units);
}

/* m × 10^exponent as the literal "me<exponent>" reads: one correctly
 * rounded operation on exact operands (10^k is exact for k ≤ 22), where
 * 5 * pow (10, -6) comes out one ulp below 5e-6 (so 5e-6 went to 1e-5). */
static gdouble
decimal (gdouble mantissa,
         int     exponent)
{
  return exponent >= 0 ? mantissa * pow (10, exponent) : mantissa / pow (10, -exponent);
}

/* The smallest mantissa × 10ⁿ at or above @value. */
static gdouble
ceiling_of (gdouble        value,
            const gdouble *mantissas,
            guint          n_mantissas)
{
  int exponent;

  if (!(value > 0))
    return 1;
  if (isinf (value))
    return value;
  exponent = (int) floor (log10 (value));
  /* log10 may land a hair to either side of a power of ten */
  if (decimal (1, exponent) > value)
    exponent--;
  for (;; exponent++)
    for (guint i = 0; i < n_mantissas; i++)
      {
        gdouble candidate = decimal (mantissas[i], exponent);

        if (value <= candidate)
          return candidate;
      }
}

/* The smallest 1, 2 or 5 × 10ⁿ at or above @value. 1 for zero, negative or
 * NaN. */
gdouble
ws_nice_ceiling (gdouble value)
{
  static const gdouble mantissas[] = { 1, 2, 5 };

  return ceiling_of (value, mantissas, G_N_ELEMENTS (mantissas));
}

/* The top of a graph axis with four gridlines: the smallest 1, 2, 4, 6 or
 * 8 × 10ⁿ at or above @value. Its quarters print exactly in three figures
 * (6 → 1.5, 3, 4.5), and the data fills at least half the height, where
 * 1-2-5 would leave 250 on an axis of 500. */
gdouble
ws_axis_ceiling (gdouble value)
{
  static const gdouble mantissas[] = { 1, 2, 4, 6, 8 };

  return ceiling_of (value, mantissas, G_N_ELEMENTS (mantissas));
}

/* The top of a throughput axis, in bit/s, at or above @max_bps, such that
 * its quarters are round in the unit shown: ws_axis_ceiling() in bit/s, or
 * with @bytes (labels in B/s, kB/s, MB/s) in bytes per second:
 * 100 Mbit/s gets an axis of 20 MB/s (gridlines every 5 MB/s), not one of
 * 12.5 MB/s with gridlines at "3.13 MB/s". 1 Mbit/s, or 1 MB/s, when there
 * is nothing (or nothing finite) to show. */
gdouble
ws_axis_ceiling_bps (gdouble  max_bps,
                     gboolean bytes)
{
  if (!(max_bps > 0) || isinf (max_bps))
    return bytes ? 8e6 : 1e6;
  if (bytes)
    return 8 * ws_axis_ceiling (max_bps / 8);
  return ws_axis_ceiling (max_bps);
}

/* "100M" → 100 000 000 bit/s: rates use decimal prefixes, as links are sold.
 * Plain decimals only ("1.5G", "0" = unlimited), up to 1 Tbit/s inclusive:
 * no spaces, signs, exponents, hex, "inf" or "nan", which strtod alone would
 * take; and nothing that rounds to 0 bit/s without being 0, which would
 * silently mean unlimited. */
gboolean
ws_parse_rate (const char *text,
               guint64    *bps)
{
  const char *p = text;
  char *end = NULL;
  gdouble value, scale = 1;

  if (text == NULL)
    return FALSE;
  while (g_ascii_isdigit (*p))
    p++;
  if (*p == '.')
    for (p++; g_ascii_isdigit (*p); p++)
      ;
  if (p == text || (p == text + 1 && *text == '.'))
    return FALSE;
  value = g_ascii_strtod (text, &end);
  if (end != p)
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K': scale = 1e3; end++; break;
    case 'M': scale = 1e6; end++; break;
    case 'G': scale = 1e9; end++; break;
    default: break;
    }
  value *= scale;
  if (*end != '\0' || value > 1e12 || (value > 0 && value < 0.5))
    return FALSE;
  *bps = (guint64) (value + 0.5);
  return TRUE;
}

/* "128K", "1M", "1500" → bytes, binary prefixes. FALSE for anything else,
 * for zero, or for more than 2⁶⁴ − 1. */
gboolean
ws_parse_size (const char *text,
               guint64    *bytes)
{
  guint64 value;
  char *end = NULL;
  guint shift = 0;

  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  errno = 0;
  value = g_ascii_strtoull (text, &end, 10);
  if (errno == ERANGE)
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    default: break;
    }
  if (*end != '\0' || value == 0 || value > (G_MAXUINT64 >> shift))
    return FALSE;
  *bytes = value << shift;
  return TRUE;
}

/* "10M", "1.5G", "1000" → bytes, decimal prefixes (1K = 1000), for
 * --bytes. FALSE for anything else, for zero, for a fraction of a byte, or
 * for more than 2⁶³ − 1 (results are JSON integers). */
gboolean
ws_parse_decimal_size (const char *text,
                       guint64    *bytes)
{
  guint64 whole = 0, frac = 0, frac_scale = 1, scale = 1;
  const char *p = text;

  if (text == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (; g_ascii_isdigit (*p); p++)
    {
      if (whole > (G_MAXINT64 - 9) / 10)
        return FALSE;
      whole = whole * 10 + (*p - '0');
    }
  if (*p == '.')
    for (p++; g_ascii_isdigit (*p); p++)
      {
        if (frac_scale >= 1000000000)
          return FALSE;
        frac = frac * 10 + (*p - '0');
        frac_scale *= 10;
      }
  switch (g_ascii_toupper (*p))
    {
    case 'K': scale = 1000; p++; break;
    case 'M': scale = 1000000; p++; break;
    case 'G': scale = 1000000000; p++; break;
    default: break;
    }
  if (*p != '\0' || whole > G_MAXINT64 / scale || (frac * scale) % frac_scale != 0)
    return FALSE;
  whole = whole * scale;
  if (whole > (guint64) G_MAXINT64 - frac * scale / frac_scale)
    return FALSE;
  *bytes = whole + frac * scale / frac_scale;
  return *bytes > 0;
}

/* The responsiveness band as a person reads it; the JSON keeps the
 * engine's English words, which scripts compare. */
const char *
ws_rpm_band_name (gdouble rpm)
{
  const char *band = ws_rpm_band (rpm);

  if (g_strcmp0 (band, "low") == 0)
    /* Translators: responsiveness (RPM) band */
    return _("low");
  if (g_strcmp0 (band, "medium") == 0)
    /* Translators: responsiveness (RPM) band */
    return _("medium");
  if (g_strcmp0 (band, "high") == 0)
    /* Translators: responsiveness (RPM) band */
    return _("high");
  return "";
}

/**
 * ws_parse_duration_upto:
 * @text: "90", "30s", "5m", "1h30m", "2d": a number of seconds, or
 *   numbers each with a unit (s, m, h, d), largest first
 * @max_s: the longest accepted
 *
 * One grammar for every duration a user types (an agent's schedules, a
 * collector's retention).
 *
 * Returns: whether @text is a duration of at most @max_s; 0 is one.
 */
gboolean
ws_parse_duration_upto (const char *text,
                        gint64      max_s,
                        gint64     *seconds)
{
  static const char units[] = "dhms";
  static const gint64 scale[] = { 86400, 3600, 60, 1 };
  const char *p = text;
  gint64 total = 0;
  gint last = -1;

  if (text == NULL || *text == '\0')
    return FALSE;
  while (*p != '\0')
    {
      char *end;
      guint64 n;
      const char *unit;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      n = g_ascii_strtoull (p, &end, 10);
      if (n > (guint64) max_s)
        return FALSE;
      if (*end == '\0' && last < 0)
        return (*seconds = (gint64) n) <= max_s;
      unit = *end != '\0' ? strchr (units, *end) : NULL;
      /* Each unit once, largest first: "1h30m", not "30m1h". */
      if (unit == NULL || unit - units <= last)
        return FALSE;
      last = unit - units;
      total += (gint64) n * scale[last];
      if (total > max_s)
        return FALSE;
      p = end + 1;
    }
  *seconds = total;
  return TRUE;
}

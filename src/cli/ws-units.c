/* ws-units.c — numbers as people read them
 *
 * Decimal SI prefixes throughout (1 Mbit/s = 10^6 bit/s, 1 MB = 10^6 bytes),
 * as network links are sold and as iperf3's bit rates are printed; sizes the
 * user types accept binary K/M/G (1K = 1024), as iperf3's -l does.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-units.h"

static char *
format_scaled (gdouble      value,
               const char  *const *units)
{
  guint i = 0;

  while (value >= 1000.0 && units[i + 1] != NULL)
    {
      value /= 1000.0;
      i++;
    }
  /* Three significant figures: 9.41, 94.1, 941. */
  if (i == 0 || value >= 100)
    return g_strdup_printf ("%.0f %s", value, units[i]);
  if (value >= 10)
    return g_strdup_printf ("%.1f %s", value, units[i]);
  return g_strdup_printf ("%.2f %s", value, units[i]);
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

/* The smallest 1, 2 or 5 × 10ⁿ at or above @value: an axis maximum that
 * gives round gridlines. */
gdouble
ws_nice_ceiling (gdouble value)
{
  gdouble base;

  if (!(value > 0))
    return 1;
  base = pow (10, floor (log10 (value)));
  if (value <= base)
    return base;
  if (value <= 2 * base)
    return 2 * base;
  if (value <= 5 * base)
    return 5 * base;
  return 10 * base;
}

/* "100M" → 100 000 000 bit/s: rates use decimal prefixes, as links are sold. */
gboolean
ws_parse_rate (const char *text,
               guint64    *bps)
{
  char *end = NULL;
  gdouble value = g_ascii_strtod (text, &end);
  gdouble scale = 1;

  if (end == text || !(value >= 0))
    return FALSE;
  switch (g_ascii_toupper (*end))
    {
    case 'K': scale = 1e3; end++; break;
    case 'M': scale = 1e6; end++; break;
    case 'G': scale = 1e9; end++; break;
    default: break;
    }
  if (*end != '\0' || value * scale > 1e12)
    return FALSE;
  *bps = (guint64) (value * scale + 0.5);
  return TRUE;
}

/* "128K", "1M", "1500" → bytes. FALSE for anything else, or zero. */
gboolean
ws_parse_size (const char *text,
               guint64    *bytes)
{
  guint64 value;
  char *end = NULL;
  guint shift = 0;

  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  value = g_ascii_strtoull (text, &end, 10);
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

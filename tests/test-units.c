/* test-units.c — numbers as people read them, string for string
 *
 * Every expectation is the exact text a person sees. The suite runs with
 * LC_ALL=C.UTF-8, so the decimal separator is "."; the window runs in the
 * user's locale and prints "9,41 Mbit/s" in German, which is right: these
 * strings are shown, never parsed back. The rounding is the same in every
 * locale, only the separator differs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "ws-units.h"

typedef struct
{
  gdouble     value;
  const char *expected;
} FormatCase;

static void
assert_bitrate (gdouble     bps,
                const char *expected)
{
  g_autofree char *text = ws_format_bitrate (bps);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_bitrate (void)
{
  static const FormatCase cases[] = {
    { 0, "0 bit/s" },
    { 999, "999 bit/s" },
    { 1000, "1.00 kbit/s" },
    { 9.41e6, "9.41 Mbit/s" },
    { 94.1e6, "94.1 Mbit/s" },
    { 941e6, "941 Mbit/s" },
    { 9.41e9, "9.41 Gbit/s" },
    { 1e12, "1.00 Tbit/s" },
    /* the largest unit has nowhere to go and keeps counting */
    { 999e12, "999 Tbit/s" },
    { 1e15, "1000 Tbit/s" },
    { 1e18, "1000000 Tbit/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_bitrate (cases[i].value, cases[i].expected);
}

/* Where rounding carries into a fourth figure, the figures and the unit
 * follow: never "10.00 Mbit/s", "100.0 Mbit/s" or "1000 kbit/s". */
static void
test_bitrate_rounding_edges (void)
{
  static const FormatCase cases[] = {
    /* bit/s, no decimals, into kbit/s */
    { 999.4, "999 bit/s" },
    { 999.6, "1.00 kbit/s" },
    /* %.2f into %.1f */
    { 9.994e6, "9.99 Mbit/s" },
    { 9.996e6, "10.0 Mbit/s" },
    { 9.9999e6, "10.0 Mbit/s" },
    /* %.1f into %.0f */
    { 99.94e6, "99.9 Mbit/s" },
    { 99.96e6, "100 Mbit/s" },
    /* %.0f into the next unit */
    { 999.4e3, "999 kbit/s" },
    { 999.6e3, "1.00 Mbit/s" },
    { 999.6e6, "1.00 Gbit/s" },
    { 999.999e9, "1.00 Tbit/s" },
    /* halves that are exact in binary: glibc rounds them to even */
    { 9.125e6, "9.12 Mbit/s" },
    { 12.25e6, "12.2 Mbit/s" },
    /* quarter gridlines of 1, 2 and 5 × 10ⁿ axes: all exact in 3 figures */
    { 250e3, "250 kbit/s" },
    { 1.25e6, "1.25 Mbit/s" },
    { 3.75e6, "3.75 Mbit/s" },
    { 12.5e6, "12.5 Mbit/s" },
    { 37.5e6, "37.5 Mbit/s" },
    { 375e6, "375 Mbit/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_bitrate (cases[i].value, cases[i].expected);
}

static void
test_bytes (void)
{
  static const struct
  {
    guint64     bytes;
    const char *expected;
  } cases[] = {
    { 0, "0 B" },
    { 1, "1 B" },
    { 999, "999 B" },
    { 1000, "1.00 kB" },
    { 1024, "1.02 kB" },
    { 1500, "1.50 kB" },
    { 131072, "131 kB" },
    { 999999, "1.00 MB" },
    { 1048576, "1.05 MB" },
    { 9994000, "9.99 MB" },
    { 9996000, "10.0 MB" },
    { G_GUINT64_CONSTANT (1250000000), "1.25 GB" },
    { G_GUINT64_CONSTANT (1000000000000000), "1000 TB" },
    { G_MAXUINT64, "18446744 TB" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ws_format_bytes (cases[i].bytes);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_byterate (void)
{
  static const FormatCase cases[] = {
    { 0, "0 B/s" },
    { 8, "1 B/s" },
    { 7992, "999 B/s" },
    { 8000, "1.00 kB/s" },
    { 1e8, "12.5 MB/s" },
    { 941e6, "118 MB/s" },
    { 9.41e9, "1.18 GB/s" },
    { 7.9968e6, "1.00 MB/s" },
    { 8e15, "1000 TB/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = ws_format_byterate (cases[i].value);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_nice_ceiling (void)
{
  static const struct
  {
    gdouble value, expected;
  } cases[] = {
    { 0, 1 },
    { -1, 1 },
    { -1e9, 1 },
    { 1, 1 },
    { 1.0000001, 2 },
    { 2, 2 },
    { 3, 5 },
    { 5, 5 },
    { 7, 10 },
    { 10, 10 },
    { 10.5, 20 },
    { 0.003, 0.005 },
    { 0.001, 0.001 },
    { 0.0011, 0.002 },
    { 941e6, 1e9 },
    { 1e12, 1e12 },
    { 1.5e12, 2e12 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat (ws_nice_ceiling (cases[i].value), ==, cases[i].expected);
  g_assert_cmpfloat (ws_nice_ceiling (NAN), ==, 1);
  g_assert_cmpfloat (ws_nice_ceiling (-INFINITY), ==, 1);
}

/* Every 1, 2 or 5 × 10ⁿ is its own ceiling, exactly the double its literal
 * gives; the next double up goes to the next step. */
static void
test_nice_ceiling_exact_steps (void)
{
  static const int mantissas[] = { 1, 2, 5 };
  static const int next[] = { 2, 5, 10 };

  for (int exponent = -15; exponent <= 15; exponent++)
    for (guint i = 0; i < G_N_ELEMENTS (mantissas); i++)
      {
        g_autofree char *literal = g_strdup_printf ("%de%d", mantissas[i], exponent);
        g_autofree char *above = g_strdup_printf ("%de%d", next[i], exponent);
        gdouble value = g_ascii_strtod (literal, NULL);

        if (ws_nice_ceiling (value) != value)
          g_error ("ws_nice_ceiling (%s) = %.17g", literal, ws_nice_ceiling (value));
        g_assert_cmpfloat (ws_nice_ceiling (nextafter (value, INFINITY)), ==,
                           g_ascii_strtod (above, NULL));
      }
}

static void
test_axis_ceiling (void)
{
  static const struct { gdouble value, expected; } cases[] = {
    { 1, 1 }, { 1.01, 2 }, { 2, 2 }, { 2.5, 4 }, { 4.1, 6 }, { 6, 6 }, { 6.5, 8 },
    { 8.5, 10 }, { 105, 200 }, { 250, 400 }, { 0.003, 0.004 }, { 5e-6, 6e-6 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpfloat (ws_axis_ceiling (cases[i].value), ==, cases[i].expected);
  g_assert_cmpfloat (ws_axis_ceiling (0), ==, 1);
  g_assert_cmpfloat (ws_axis_ceiling (NAN), ==, 1);
  /* The data always fills at least half of the axis */
  for (gdouble v = 0.01; v < 1e4; v *= 1.07)
    g_assert_cmpfloat (ws_axis_ceiling (v), <=, 2 * v);
}

static void
test_axis_ceiling_bits (void)
{
  g_assert_cmpfloat (ws_axis_ceiling_bps (0, FALSE), ==, 1e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (-5, FALSE), ==, 1e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (NAN, FALSE), ==, 1e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (INFINITY, FALSE), ==, 1e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (1, FALSE), ==, 1);
  g_assert_cmpfloat (ws_axis_ceiling_bps (9.41e6, FALSE), ==, 1e7);
  g_assert_cmpfloat (ws_axis_ceiling_bps (1e8, FALSE), ==, 1e8);
  g_assert_cmpfloat (ws_axis_ceiling_bps (1.2e8, FALSE), ==, 2e8);
  g_assert_cmpfloat (ws_axis_ceiling_bps (941e6, FALSE), ==, 1e9);
  g_assert_cmpfloat (ws_axis_ceiling_bps (3e9, FALSE), ==, 4e9);
  /* 250 Mbit/s fills more than half of the axis */
  g_assert_cmpfloat (ws_axis_ceiling_bps (250e6, FALSE), ==, 4e8);
}

static void
test_axis_ceiling_bytes (void)
{
  g_assert_cmpfloat (ws_axis_ceiling_bps (0, TRUE), ==, 8e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (-5, TRUE), ==, 8e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (NAN, TRUE), ==, 8e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (INFINITY, TRUE), ==, 8e6);
  /* 1 bit/s = 0.125 B/s → 0.2 B/s */
  g_assert_cmpfloat (ws_axis_ceiling_bps (1, TRUE), ==, 1.6);
  /* 1 B/s */
  g_assert_cmpfloat (ws_axis_ceiling_bps (8, TRUE), ==, 8);
  g_assert_cmpfloat (ws_axis_ceiling_bps (9, TRUE), ==, 16);
  /* 100 Mbit/s = 12.5 MB/s → 20 MB/s, not the 12.5 MB/s of the bit axis */
  g_assert_cmpfloat (ws_axis_ceiling_bps (1e8, TRUE), ==, 160e6);
  /* 941 Mbit/s = 117.6 MB/s → 200 MB/s */
  g_assert_cmpfloat (ws_axis_ceiling_bps (941e6, TRUE), ==, 1.6e9);
  /* exactly 4 MB/s stays; a hair above goes to 6 MB/s */
  g_assert_cmpfloat (ws_axis_ceiling_bps (32e6, TRUE), ==, 32e6);
  g_assert_cmpfloat (ws_axis_ceiling_bps (32.000001e6, TRUE), ==, 48e6);
}

/* Whatever the maximum, the four gridlines of the axis read as round
 * numbers in the unit shown: no label is rounded to 3 figures. */
static void
test_axis_gridlines_round (void)
{
  static const char *const expected_bits[] = {
    "1.00 Mbit/s", "2.00 Mbit/s", "3.00 Mbit/s", "4.00 Mbit/s",
  };
  static const char *const expected_bytes[] = {
    "5.00 MB/s", "10.0 MB/s", "15.0 MB/s", "20.0 MB/s",
  };
  gdouble top;

  top = ws_axis_ceiling_bps (3e6, FALSE);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *label = ws_format_bitrate (top * (i + 1) / 4);

      g_assert_cmpstr (label, ==, expected_bits[i]);
    }
  top = ws_axis_ceiling_bps (1e8, TRUE);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *label = ws_format_byterate (top * (i + 1) / 4);

      g_assert_cmpstr (label, ==, expected_bytes[i]);
    }

  /* Over many decades: each quarter, printed and read back, is exact. */
  for (gdouble max = 0.7; max < 2e12; max *= 1.37)
    for (int bytes = 0; bytes <= 1; bytes++)
      {
        gdouble axis = ws_axis_ceiling_bps (max, bytes);

        g_assert_cmpfloat (axis, >=, max);
        for (guint i = 1; i <= 4; i++)
          {
            gdouble step = axis * i / 4 / (bytes ? 8 : 1);
            int exponent = (int) floor (log10 (step));
            /* 3 significant figures */
            gdouble unit = pow (10, exponent - 2);
            gdouble rounded = round (step / unit) * unit;

            g_assert_cmpfloat_with_epsilon (rounded / step, 1, 1e-12);
          }
      }
}

typedef struct
{
  const char *text;
  gboolean    ok;
  guint64     value;
} ParseCase;

static void
test_parse_rate (void)
{
  static const ParseCase cases[] = {
    { "100M", TRUE, 100000000 },
    { "1.5G", TRUE, 1500000000 },
    { "10k", TRUE, 10000 },
    { "10K", TRUE, 10000 },
    { "500", TRUE, 500 },
    { "0", TRUE, 0 },
    { "0.5", TRUE, 1 },
    { "2.5M", TRUE, 2500000 },
    { "1000G", TRUE, G_GUINT64_CONSTANT (1000000000000) },
    { "1000000000000", TRUE, G_GUINT64_CONSTANT (1000000000000) },
    { "1.", TRUE, 1 },
    { "", FALSE, 0 },
    { ".", FALSE, 0 },
    { "M", FALSE, 0 },
    { "abc", FALSE, 0 },
    { "-5M", FALSE, 0 },
    { "+5M", FALSE, 0 },
    { "10X", FALSE, 0 },
    { "10MM", FALSE, 0 },
    { "10Mbit", FALSE, 0 },
    /* 1 Tbit/s is the ceiling, and T is not a prefix we take */
    { "2T", FALSE, 0 },
    { "1T", FALSE, 0 },
    { "1000.001G", FALSE, 0 },
    { "1000000000001", FALSE, 0 },
    /* plain decimals only: what strtod takes beyond that is a surprise */
    { "1e3", FALSE, 0 },
    { "0x10", FALSE, 0 },
    { "nan", FALSE, 0 },
    { "inf", FALSE, 0 },
    { "infinity", FALSE, 0 },
    { " 10M", FALSE, 0 },
    { "10M ", FALSE, 0 },
    { "10 M", FALSE, 0 },
    /* would round to 0, which means unlimited */
    { "0.4", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 bps = 12345;
      gboolean ok = ws_parse_rate (cases[i].text, &bps);

      if (ok != cases[i].ok)
        g_error ("ws_parse_rate (\"%s\") returned %s", cases[i].text, ok ? "TRUE" : "FALSE");
      /* untouched when refused */
      g_assert_cmpuint (bps, ==, ok ? cases[i].value : 12345);
    }
  g_assert_false (ws_parse_rate (NULL, NULL));
}

static void
test_parse_size (void)
{
  static const ParseCase cases[] = {
    { "128K", TRUE, 131072 },
    { "128k", TRUE, 131072 },
    { "1M", TRUE, 1048576 },
    { "2G", TRUE, G_GUINT64_CONSTANT (2147483648) },
    { "1500", TRUE, 1500 },
    { "18446744073709551615", TRUE, G_MAXUINT64 },
    /* 2³⁴ − 1 G is the largest G that fits */
    { "17179869183G", TRUE, G_GUINT64_CONSTANT (18446744072635809792) },
    { "0", FALSE, 0 },
    { "0K", FALSE, 0 },
    { "", FALSE, 0 },
    { "K", FALSE, 0 },
    { "1.5K", FALSE, 0 },
    { "-1", FALSE, 0 },
    { "+1", FALSE, 0 },
    { " 1K", FALSE, 0 },
    { "1K ", FALSE, 0 },
    { "1KB", FALSE, 0 },
    { "1T", FALSE, 0 },
    { "0x10", FALSE, 0 },
    /* 2⁶⁴: strtoull saturates, it must not read as 2⁶⁴ − 1 */
    { "18446744073709551616", FALSE, 0 },
    { "99999999999999999999999", FALSE, 0 },
    /* 2³⁴ G = 2⁶⁴ */
    { "17179869184G", FALSE, 0 },
    { "17592186044416M", FALSE, 0 },
    { "18014398509481984K", FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      guint64 bytes = 12345;
      gboolean ok = ws_parse_size (cases[i].text, &bytes);

      if (ok != cases[i].ok)
        g_error ("ws_parse_size (\"%s\") returned %s", cases[i].text, ok ? "TRUE" : "FALSE");
      g_assert_cmpuint (bytes, ==, ok ? cases[i].value : 12345);
    }
  g_assert_false (ws_parse_size (NULL, NULL));
}

/* One grammar for every duration: the agent's schedules (at most a week)
 * and a collector's retention (180 days and more) are the same parser with
 * another bound. */
static void
test_parse_duration (void)
{
  static const struct {
    const char *text;
    gint64 max_s;
    gint64 seconds;  /* -1: refused */
  } cases[] = {
    { "90", 604800, 90 }, { "30s", 604800, 30 }, { "5m", 604800, 300 }, { "1h30m", 604800, 5400 },
    { "2d", 604800, 172800 }, { "7d", 604800, 604800 }, { "0", 604800, 0 },
    { "8d", 604800, -1 }, { "30m1h", 604800, -1 }, { "1h1h", 604800, -1 }, { "5x", 604800, -1 },
    { "", 604800, -1 }, { "m", 604800, -1 }, { "-5m", 604800, -1 }, { "5m ", 604800, -1 },
    { "180d", G_MAXINT32, 15552000 }, { "1d12h", G_MAXINT32, 129600 },
    { "99999999999999999999", G_MAXINT32, -1 }, { "24856d", G_MAXINT32, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 seconds = -1;
      gboolean ok = ws_parse_duration_upto (cases[i].text, cases[i].max_s, &seconds);

      if (ok != (cases[i].seconds >= 0) || (ok && seconds != cases[i].seconds))
        g_error ("“%s” up to %" G_GINT64_FORMAT " s: %s %" G_GINT64_FORMAT, cases[i].text,
                 cases[i].max_s, ok ? "read as" : "refused, not", ok ? seconds : cases[i].seconds);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/units/bitrate", test_bitrate);
  g_test_add_func ("/units/bitrate-rounding-edges", test_bitrate_rounding_edges);
  g_test_add_func ("/units/bytes", test_bytes);
  g_test_add_func ("/units/byterate", test_byterate);
  g_test_add_func ("/units/nice-ceiling", test_nice_ceiling);
  g_test_add_func ("/units/nice-ceiling-exact-steps", test_nice_ceiling_exact_steps);
  g_test_add_func ("/units/axis-ceiling", test_axis_ceiling);
  g_test_add_func ("/units/axis-ceiling/bits", test_axis_ceiling_bits);
  g_test_add_func ("/units/axis-ceiling/bytes", test_axis_ceiling_bytes);
  g_test_add_func ("/units/axis-ceiling/gridlines-round", test_axis_gridlines_round);
  g_test_add_func ("/units/parse-rate", test_parse_rate);
  g_test_add_func ("/units/parse-size", test_parse_size);
  g_test_add_func ("/units/parse-duration", test_parse_duration);

  return g_test_run ();
}

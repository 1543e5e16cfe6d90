/* fuzz-http.c — libFuzzer harness for the HTTP pieces the server parses
 *
 * libsoup parses requests; ws-http.c is what is ours, all of it fed with
 * every input: ws_http_sniff() on the input and on each of its prefixes
 * (a connection's first bytes as they arrive), and, on the input up to
 * its first NUL as the C string libsoup would hand over, the query
 * parameter reader (our names, several maxima), the Range reader (sizes
 * from 0 to 2^64 - 1), the static file name check and the log escape.
 *
 * Oracles: the sniffer agrees with a model written from the method list
 * and never changes its mind as bytes arrive (MORE, then HTTP or OTHER
 * for good); the query reader agrees with a model built on g_strsplit()
 * and g_ascii_string_to_unsigned(); an accepted range lies inside the
 * body, and written back as "bytes=FIRST-LAST" reads back the same; a
 * name accepted as a file of the page is a plain name; the log escape
 * is printable ASCII without spaces, no longer than its bound, and
 * unescapes to the start of its input.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ws-http.h"

static const char *const methods[] = {
  "GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "PATCH", "TRACE", "CONNECT",
};

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static WsHttpSniff
sniff_model (const guint8 *data,
             size_t        size)
{
  gboolean prefix = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      size_t m = strlen (methods[i]);

      if (size > m && memcmp (data, methods[i], m) == 0 && data[m] == ' ')
        return WS_HTTP_SNIFF_HTTP;
      if (size <= m && memcmp (data, methods[i], size) == 0)
        prefix = TRUE;
    }
  return prefix ? WS_HTTP_SNIFF_MORE : WS_HTTP_SNIFF_OTHER;
}

static void
check_sniff (const guint8 *data,
             size_t        size)
{
  WsHttpSniff last = WS_HTTP_SNIFF_MORE;

  for (size_t k = 0; k <= MIN (size, WS_HTTP_SNIFF_MAX); k++)
    {
      WsHttpSniff v = ws_http_sniff (data, k);

      FUZZ_CHECK (v == sniff_model (data, k));
      FUZZ_CHECK (last == WS_HTTP_SNIFF_MORE || v == last);
      last = v;
    }
  /* At most WS_HTTP_SNIFF_MAX bytes decide. */
  if (size >= WS_HTTP_SNIFF_MAX)
    FUZZ_CHECK (last != WS_HTTP_SNIFF_MORE);
  FUZZ_CHECK (ws_http_sniff (data, size) == last);
}

static WsHttpParam
query_model (const char *query,
             const char *name,
             guint64     max,
             guint64    *value)
{
  g_auto(GStrv) pairs = g_strsplit (query, "&", -1);
  g_autofree char *key = g_strconcat (name, "=", NULL);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      const char *digits;
      guint64 v;
      gboolean only_digits;

      if (!g_str_has_prefix (pairs[i], key))
        continue;
      digits = pairs[i] + strlen (key);
      only_digits = *digits != '\0';
      for (const char *p = digits; *p; p++)
        only_digits = only_digits && g_ascii_isdigit (*p);
      if (!only_digits || !g_ascii_string_to_unsigned (digits, 10, 0, max, &v, NULL))
        return WS_HTTP_PARAM_BAD;
      *value = v;
      return WS_HTTP_PARAM_OK;
    }
  return WS_HTTP_PARAM_ABSENT;
}

static void
check_query (const char *text)
{
  static const char *const names[] = { "bytes", "ckSize", "r" };
  static const guint64 maxima[] = { 0, 1024, G_GUINT64_CONSTANT (100000000000), G_MAXUINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    for (guint j = 0; j < G_N_ELEMENTS (maxima); j++)
      {
        guint64 got = 0, want = 0;
        WsHttpParam p = ws_http_query_u64 (text, names[i], maxima[j], &got);

        FUZZ_CHECK (p == query_model (text, names[i], maxima[j], &want));
        if (p == WS_HTTP_PARAM_OK)
          FUZZ_CHECK (got == want && got <= maxima[j]);
      }
  FUZZ_CHECK (ws_http_query_u64 (NULL, "bytes", 10, NULL) == WS_HTTP_PARAM_ABSENT);
}

static void
check_range (const char *text)
{
  static const guint64 sizes[] = { 0, 1, 100, G_GUINT64_CONSTANT (1) << 40, G_MAXUINT64 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      guint64 first = 0, last = 0, first2 = 0, last2 = 0;
      WsHttpRange r = ws_http_parse_range (text, sizes[i], &first, &last);
      g_autofree char *back = NULL;

      FUZZ_CHECK (r >= WS_HTTP_RANGE_NONE && r <= WS_HTTP_RANGE_MULTIPLE);
      if (r == WS_HTTP_RANGE_MULTIPLE)
        FUZZ_CHECK (strchr (text, ',') != NULL);
      if (r != WS_HTTP_RANGE_OK)
        continue;
      FUZZ_CHECK (first <= last && last < sizes[i]);
      back = g_strdup_printf ("bytes=%" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT, first, last);
      FUZZ_CHECK (ws_http_parse_range (back, sizes[i], &first2, &last2) == WS_HTTP_RANGE_OK);
      FUZZ_CHECK (first2 == first && last2 == last);
    }
}

static void
check_static_name (const char *text)
{
  if (ws_http_static_name_is_valid (text))
    {
      FUZZ_CHECK (*text != '\0' && *text != '.' && strlen (text) <= 64);
      FUZZ_CHECK (strchr (text, '/') == NULL && strchr (text, '\\') == NULL);
    }
  FUZZ_CHECK (ws_http_content_type (text) != NULL);
}

static void
check_log_escape (const char *text)
{
  static const gsize bounds[] = { 0, 1, 16, 160 };

  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      g_autofree char *shown = ws_http_log_escape (text, bounds[i]);
      gsize len = strlen (shown), kept = MIN (strlen (text), bounds[i]);
      gboolean cut = strlen (text) > bounds[i];
      GString *back = g_string_new (NULL);

      FUZZ_CHECK (len <= 3 * bounds[i] + 3);
      for (gsize j = 0; j < len; j++)
        FUZZ_CHECK (shown[j] > 0x20 && shown[j] < 0x7f);
      if (cut)
        FUZZ_CHECK (g_str_has_suffix (shown, "..."));
      for (gsize j = 0; j < len - (cut ? 3 : 0); j++)
        {
          if (shown[j] == '%')
            {
              FUZZ_CHECK (g_ascii_isxdigit (shown[j + 1]) && g_ascii_isxdigit (shown[j + 2]));
              g_string_append_c (back, (char) (g_ascii_xdigit_value (shown[j + 1]) << 4
                                               | g_ascii_xdigit_value (shown[j + 2])));
              j += 2;
            }
          else
            g_string_append_c (back, shown[j]);
        }
      FUZZ_CHECK (back->len == kept && memcmp (back->str, text, kept) == 0);
      g_string_free (back, TRUE);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* As libsoup hands a header or query over: a C string. */
  g_autofree char *text = g_strndup ((const char *) data, size);

  check_sniff (data, size);
  check_query (text);
  check_range (text);
  check_static_name (text);
  check_log_escape (text);
  return 0;
}

/* ws-http.c — the few HTTP pieces the server parses itself
 *
 * Everything here reads untrusted bytes: each function looks at a bounded
 * prefix or walks its input once, allocates only its answer (the log
 * escape, at most max_len bytes plus an ellipsis) and has an answer for
 * every input. docs/PROTOCOL.md section 9 says what each one accepts.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-http.h"

static const char *const methods[] = {
  "GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "PATCH", "TRACE", "CONNECT",
};

/**
 * ws_http_sniff:
 *
 * Whether @data, a connection's first bytes, starts with a known method
 * and a space. Never needs more than %WS_HTTP_SNIFF_MAX bytes.
 */
WsHttpSniff
ws_http_sniff (const guint8 *data,
               gsize         len)
{
  gboolean prefix = FALSE;

  if (len == 0)
    return WS_HTTP_SNIFF_MORE;
  for (guint i = 0; i < G_N_ELEMENTS (methods); i++)
    {
      gsize m = strlen (methods[i]);

      if (memcmp (data, methods[i], MIN (len, m)) != 0)
        continue;
      if (len <= m)
        prefix = TRUE;
      else if (data[m] == ' ')
        return WS_HTTP_SNIFF_HTTP;
    }
  return prefix ? WS_HTTP_SNIFF_MORE : WS_HTTP_SNIFF_OTHER;
}

/* Decimal digits in [p, end), saturating at G_MAXUINT64 (*overflow then
 * says so); FALSE if there are none or anything else. */
static gboolean
parse_digits (const char *p,
              const char *end,
              guint64    *value,
              gboolean   *overflow)
{
  guint64 v = 0;

  *overflow = FALSE;
  if (p == end)
    return FALSE;
  for (; p < end; p++)
    {
      if (*p < '0' || *p > '9')
        return FALSE;
      if (v > (G_MAXUINT64 - (guint64) (*p - '0')) / 10)
        {
          v = G_MAXUINT64;
          *overflow = TRUE;
        }
      else if (!*overflow)
        v = v * 10 + (guint64) (*p - '0');
    }
  *value = v;
  return TRUE;
}

/* A bound a number far past it still exceeds: where saturation is right. */
static gboolean
parse_bound (const char *p,
             const char *end,
             guint64    *value)
{
  gboolean overflow;

  return parse_digits (p, end, value, &overflow);
}

/**
 * ws_http_query_u64:
 * @query: (nullable): a request's query string, without the "?"
 *
 * The first "@name=DIGITS" of @query. Names are compared as they are,
 * without percent-decoding: ours are plain words.
 */
WsHttpParam
ws_http_query_u64 (const char *query,
                   const char *name,
                   guint64     max,
                   guint64    *value)
{
  gsize name_len = strlen (name);
  const char *p = query;

  if (query == NULL)
    return WS_HTTP_PARAM_ABSENT;
  while (*p != '\0')
    {
      const char *end = strchr (p, '&');

      if (end == NULL)
        end = p + strlen (p);
      if ((gsize) (end - p) > name_len && strncmp (p, name, name_len) == 0 && p[name_len] == '=')
        {
          guint64 v;
          gboolean overflow;

          if (!parse_digits (p + name_len + 1, end, &v, &overflow) || overflow || v > max)
            return WS_HTTP_PARAM_BAD;
          *value = v;
          return WS_HTTP_PARAM_OK;
        }
      p = *end == '&' ? end + 1 : end;
    }
  return WS_HTTP_PARAM_ABSENT;
}

static const char *
skip_spaces (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* "A-B", "A-" or "-S" in [p, end), spaces around it allowed; FALSE when
 * it is not one (a range to ignore). */
static gboolean
parse_spec (const char *p,
            const char *end,
            gboolean   *suffix,
            guint64    *a,
            guint64    *b,
            gboolean   *open)
{
  const char *dash;

  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  dash = memchr (p, '-', end - p);
  if (dash == NULL)
    return FALSE;
  *suffix = dash == p;
  *open = dash + 1 == end;
  if (*suffix)
    return !*open && parse_bound (dash + 1, end, b);
  if (!parse_bound (p, dash, a))
    return FALSE;
  return *open || (parse_bound (dash + 1, end, b) && *a <= *b);
}

/**
 * ws_http_parse_range:
 * @header: (nullable): the request's Range header
 * @size: the whole body's length
 *
 * One "bytes=" range of a body of @size bytes, as *first and *last
 * (inclusive) when %WS_HTTP_RANGE_OK. A header we cannot read is
 * ignored, as RFC 9110 says, and the whole body is sent.
 */
WsHttpRange
ws_http_parse_range (const char *header,
                     guint64     size,
                     guint64    *first,
                     guint64    *last)
{
  const char *p, *end;
  gboolean suffix, open;
  guint64 a = 0, b = 0;

  if (header == NULL)
    return WS_HTTP_RANGE_NONE;
  p = skip_spaces (header);
  if (g_ascii_strncasecmp (p, "bytes", 5) != 0)
    return WS_HTTP_RANGE_NONE;
  p = skip_spaces (p + 5);
  if (*p != '=')
    return WS_HTTP_RANGE_NONE;
  p++;
  end = p + strlen (p);
  if (memchr (p, ',', end - p) != NULL)
    return WS_HTTP_RANGE_MULTIPLE;
  if (!parse_spec (p, end, &suffix, &a, &b, &open))
    return WS_HTTP_RANGE_NONE;
  if (suffix)
    {
      if (b == 0 || size == 0)
        return WS_HTTP_RANGE_UNSATISFIABLE;
      *first = b >= size ? 0 : size - b;
      *last = size - 1;
      return WS_HTTP_RANGE_OK;
    }
  if (a >= size)
    return WS_HTTP_RANGE_UNSATISFIABLE;
  *first = a;
  *last = open || b >= size ? size - 1 : b;
  return WS_HTTP_RANGE_OK;
}

/* A file of the page: a plain name, no folder, not hidden. */
gboolean
ws_http_static_name_is_valid (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64 || name[0] == '.')
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (name[i]) && name[i] != '.' && name[i] != '-' && name[i] != '_')
      return FALSE;
  return TRUE;
}

/* By the name's extension: the page's kinds of file, else bytes. */
const char *
ws_http_content_type (const char *name)
{
  static const struct { const char *ext; const char *type; } types[] = {
    { ".html", "text/html; charset=utf-8" },
    { ".js", "text/javascript; charset=utf-8" },
    { ".css", "text/css; charset=utf-8" },
    { ".json", "application/json" },
    { ".svg", "image/svg+xml" },
    { ".png", "image/png" },
    { ".ico", "image/x-icon" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (name, types[i].ext))
      return types[i].type;
  return "application/octet-stream";
}

/**
 * ws_http_log_escape:
 * @max_len: bytes of @text kept at most; a longer one ends in "..."
 *
 * @text for one log line: every byte outside printable ASCII, and "%"
 * itself, written as %XX, so that a request cannot forge a line or hide
 * what it asked for.
 */
char *
ws_http_log_escape (const char *text,
                    gsize       max_len)
{
  GString *out = g_string_sized_new (MIN (strlen (text), max_len) + 4);
  gsize i;

  for (i = 0; text[i] != '\0' && i < max_len; i++)
    {
      guint8 c = (guint8) text[i];

      if (c > 0x20 && c < 0x7f && c != '%')
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "%%%02X", c);
    }
  if (text[i] != '\0')
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

/* ws-json.c — JSON from outside, read within bounds, and JSON written right
 *
 * json-glib 1.6 as the engine uses it for results, the history and
 * iperf3's control messages: a parser that refuses what json-glib would
 * recurse into too deeply or leak, and a fix for the doubles it writes
 * wrongly.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include <math.h>
#include <string.h>

#include "ws-json.h"

/* json-glib 1.6 writes a double whose shortest form has an exponent but no
 * point (1e+17, 6e-09) with ".0" after the exponent, which is not JSON: the
 * history could not read such a result back. Those are one digit times a
 * power of ten; the next double towards zero differs in the 17th digit
 * only, and prints with a point or without an exponent. Every JSON this
 * engine writes goes through here (results, iperf3's results). */
void
ws_json_fix_doubles (JsonNode *node)
{
  JsonObjectIter iter;
  JsonNode *member;
  JsonArray *array;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        ws_json_fix_doubles (member);
      break;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        ws_json_fix_doubles (json_array_get_element (array, i));
      break;
    case JSON_NODE_VALUE:
      if (json_node_get_value_type (node) != G_TYPE_DOUBLE)
        break;
      g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node));
      if (strchr (buf, 'e') != NULL && strchr (buf, '.') == NULL)
        json_node_set_double (node, nextafter (json_node_get_double (node), 0));
      break;
    default:
      break;
    }
}

/* A result is a handful of levels deep; json-glib's parser recurses once a
 * level and overflows the stack long before it runs out of input. */
#define MAX_JSON_DEPTH 64

/* How deep @json nests, counting brackets outside strings. */
static guint
json_depth (const char *json)
{
  guint depth = 0, deepest = 0;
  gboolean in_string = FALSE;

  for (const char *p = json; *p != '\0'; p++)
    {
      if (in_string && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        in_string = !in_string;
      else if (!in_string && (*p == '[' || *p == '{'))
        {
          /* Not MAX (deepest, ++depth): the macro would count twice. */
          depth++;
          deepest = MAX (deepest, depth);
        }
      else if (!in_string && (*p == ']' || *p == '}') && depth > 0)
        depth--;
    }
  return deepest;
}

/* Whether @json holds at most one container, with nothing but white space
 * around it. json-glib 1.6 also reads values in a row ("{…}{…}") and
 * JavaScript statements ("var a = 1; var b = {…};"), keeps the last root
 * and leaks the others: a damaged entry would leak each time it is read. */
static gboolean
json_is_one_value (const char *json)
{
  guint depth = 0, containers = 0;
  gboolean in_string = FALSE, stray = FALSE;

  for (const char *p = json; *p != '\0'; p++)
    {
      if (in_string && *p == '\\' && p[1] != '\0')
        p++;
      else if (*p == '"')
        {
          in_string = !in_string;
          stray |= depth == 0;
        }
      else if (in_string)
        continue;
      else if (*p == '[' || *p == '{')
        containers += depth++ == 0;
      else if ((*p == ']' || *p == '}') && depth > 0)
        depth--;
      else if (depth == 0 && !g_ascii_isspace (*p))
        stray = TRUE;
    }
  return containers == 0 || (containers == 1 && !stray);
}

/* Whether every string and member name under @node is UTF-8. json-glib 1.6
 * reads its input with GScanner, which also takes escapes JSON does not
 * have ("\600", an octal byte) and lone surrogates, and hands on bytes
 * that are not UTF-8: a peer's text then reaches a terminal, the history
 * and json-glib's writer that way. */
static gboolean
json_is_utf8 (JsonNode *node)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  JsonArray *array;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (!g_utf8_validate (name, -1, NULL) || !json_is_utf8 (member))
          return FALSE;
      return TRUE;
    case JSON_NODE_ARRAY:
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        if (!json_is_utf8 (json_array_get_element (array, i)))
          return FALSE;
      return TRUE;
    case JSON_NODE_VALUE:
      return json_node_get_value_type (node) != G_TYPE_STRING
             || g_utf8_validate (json_node_get_string (node), -1, NULL);
    default:
      return TRUE;
    }
}

/* Parses JSON text from a file, a database or a peer, which may be hostile. */
JsonNode *
ws_json_parse (const char  *json,
               GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (json_depth (json) > MAX_JSON_DEPTH)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: nested too deeply"));
      return NULL;
    }
  if (!json_is_one_value (json))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: more than one JSON value"));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, json, -1, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   /* Translators: %s is the JSON parser's reason. */
                   _("Invalid result: %s"), local_error->message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: empty"));
      return NULL;
    }
  if (!json_is_utf8 (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Invalid result: text that is not UTF-8"));
      return NULL;
    }
  return json_parser_steal_root (parser);
}

/* @len bytes from a peer: up to a NUL is all ws_json_parse() would read,
 * and a NUL is not JSON. */
JsonNode *
ws_json_parse_bytes (const char  *json,
                     gsize        len,
                     GError     **error)
{
  g_autofree char *text = NULL;

  if (memchr (json, '\0', len) != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "a NUL in the JSON");
      return NULL;
    }
  text = g_strndup (json, len);
  return ws_json_parse (text, error);
}

/* NAN for a missing or null member (or a missing object). */
gdouble
ws_json_number (JsonObject *o,
                const char *key)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, key) : NULL;

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_double (node) : NAN;
}

/* The "p50" of latency object @key, or NAN. */
gdouble
ws_json_median (JsonObject *o,
                const char *key)
{
  JsonNode *node = o != NULL ? json_object_get_member (o, key) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node)
         ? ws_json_number (json_node_get_object (node), "p50") : NAN;
}

/* The layout of every JSON file the engine writes for people: two spaces. */
char *
ws_json_to_pretty_string (JsonNode *root,
                          gsize    *length)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_pretty (gen, TRUE);
  json_generator_set_indent (gen, 2);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, length);
}

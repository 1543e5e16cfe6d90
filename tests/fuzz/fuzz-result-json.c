/* fuzz-result-json.c — libFuzzer harness for results read back as JSON
 *
 * A result's JSON comes back from the history database and from files a
 * user imports, either of which may be damaged or hostile, through
 * ws_result_json_parse() and ws_result_new_from_json().
 *
 * Oracles, from the reader's contract in ws-result-reader.c: a refusal is a
 * G_IO_ERROR_INVALID_DATA, never a crash or a critical; and anything the
 * reader accepts, the writer writes as JSON that reads back, by the string
 * reader and by the node reader alike, to the same text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "ws-result.h"

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init_logging ();
  return 0;
}

static WsResult *
read_back (const char *json)
{
  g_autoptr(GError) error = NULL;
  WsResult *r = ws_result_new_from_json_string (json, &error);

  if (r == NULL)
    {
      FUZZ_CHECK (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
      return NULL;
    }
  FUZZ_CHECK (error == NULL);
  return r;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* The history hands the reader a C string: the text ends at a NUL. */
  g_autofree char *json = g_strndup ((const char *) data, size);
  g_autoptr(WsResult) r = read_back (json);
  g_autoptr(WsResult) again = NULL;
  g_autoptr(WsResult) from_node = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  g_autofree char *rewritten = NULL;
  g_autofree char *node_written = NULL;

  if (r == NULL)
    return 0;

  written = ws_result_to_json_string (r);
  again = read_back (written);
  FUZZ_CHECK (again != NULL);
  rewritten = ws_result_to_json_string (again);
  FUZZ_CHECK (strcmp (rewritten, written) == 0);

  /* The history's path: parse once, then read the node. */
  node = ws_result_json_parse (written, &error);
  FUZZ_CHECK (node != NULL && error == NULL);
  from_node = ws_result_new_from_json (node, &error);
  FUZZ_CHECK (from_node != NULL && error == NULL);
  node_written = ws_result_to_json_string (from_node);
  FUZZ_CHECK (strcmp (node_written, written) == 0);
  return 0;
}

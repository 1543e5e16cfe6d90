/* test-golden.c — the result JSON, byte for byte, against saved output
 *
 * Every result file of the fuzz corpus and its regressions is read with
 * ws_result_new_from_json_string() and written again with
 * ws_result_to_json_string(); the text must equal golden/result-json/NAME.json
 * to the byte. The inputs the reader refuses are named, one a line, in
 * golden/result-json/rejected.txt, so that a change in what is accepted
 * fails too. The golden files were written by the code before issue 12's
 * split: a refactor that changes a byte of the contract shows here.
 *
 * The text a person reads is held the same way: golden/text/NAME.txt is
 * what the CLI prints for the result (its summary, then its intervals).
 *
 * To regenerate them on purpose (a deliberate change of the JSON), run
 *
 *   WS_GOLDEN_UPDATE=1 meson test -C _build golden
 *
 * and commit the changed files under tests/golden/ with the reason.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "ws-result.h"
#include "ws-text-printer.h"

static const char * const input_dirs[] = {
  "fuzz/corpus/result-json",
  "fuzz/regressions/result-json",
};

static gboolean updating;
static GPtrArray *rejected; /* names, in test order */

static char *
golden_path_in (const char *dir,
                const char *name)
{
  return g_build_filename (g_getenv ("WS_TEST_SRCDIR"), "golden", dir, name, NULL);
}

static char *
golden_path (const char *name)
{
  return golden_path_in ("result-json", name);
}

/* What the CLI prints for @r once it has ended. */
static char *
print_text (WsResult *r)
{
  WsTestConfig config = { .mode = r->mode };
  char *text = NULL;
  size_t size = 0;
  FILE *out = open_memstream (&text, &size);

  g_assert_nonnull (out);
  ws_text_print_summary (out, r);
  for (guint i = 0; i < r->samples->len; i++)
    ws_text_print_sample (out, &config, &g_array_index (r->samples, WsSample, i));
  fclose (out);
  return text;
}

/* The contents of @path up to its first NUL, as the history hands them over. */
static char *
read_input (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  gsize len = 0;

  g_file_get_contents (path, &data, &len, &error);
  g_assert_no_error (error);
  return g_strndup (data, len);
}

static void
compare_or_update_in (const char *dir,
                      const char *name,
                      const char *actual)
{
  g_autofree char *path = golden_path_in (dir, name);
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;

  if (updating)
    {
      g_file_set_contents (path, actual, -1, &error);
      g_assert_no_error (error);
      return;
    }
  g_file_get_contents (path, &expected, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (actual, ==, expected);
}

static void
compare_or_update (const char *name,
                   const char *actual)
{
  compare_or_update_in ("result-json", name, actual);
}

static void
test_input (gconstpointer data)
{
  const char *path = data;
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *json = read_input (path);
  g_autofree char *golden_name = g_strconcat (name, ".json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(WsResult) r = ws_result_new_from_json_string (json, &error);
  g_autofree char *text_name = g_strconcat (name, ".txt", NULL);
  g_autofree char *written = NULL;
  g_autofree char *text = NULL;
  g_autofree char *path_json = golden_path (golden_name);

  if (r == NULL)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_ptr_array_add (rejected, g_strdup (name));
      /* A golden file for a refused input means it was accepted once. */
      if (updating)
        g_remove (path_json);
      else
        g_assert_false (g_file_test (path_json, G_FILE_TEST_EXISTS));
      return;
    }
  g_assert_no_error (error);
  written = ws_result_to_json_string (r);
  compare_or_update (golden_name, written);
  text = print_text (r);
  compare_or_update_in ("text", text_name, text);
}

/* Runs after every input: the refused ones, as a list. */
static void
test_rejected (void)
{
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; i < rejected->len; i++)
    g_string_append_printf (list, "%s\n", (const char *) g_ptr_array_index (rejected, i));
  compare_or_update ("rejected.txt", list->str);
}

/* No golden file without an input: a renamed or deleted seed shows. */
static void
test_no_stale (gconstpointer data)
{
  GHashTable *names = (GHashTable *) data;
  g_autofree char *dir_path = golden_path (NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *entry;

  g_assert_nonnull (dir);
  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *stem = NULL;

      if (!g_str_has_suffix (entry, ".json"))
        continue;
      stem = g_strndup (entry, strlen (entry) - strlen (".json"));
      if (g_hash_table_contains (names, stem))
        continue;
      if (updating)
        {
          g_autofree char *stale = golden_path (entry);

          g_remove (stale);
          continue;
        }
      g_test_message ("stale golden file %s", entry);
      g_test_fail ();
    }
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The files of every input folder, sorted by name within each folder. */
static GPtrArray *
collect_inputs (GHashTable *names)
{
  GPtrArray *inputs = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (input_dirs); i++)
    {
      g_autofree char *dir_path = g_build_filename (g_getenv ("WS_TEST_SRCDIR"), input_dirs[i], NULL);
      g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
      g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
      const char *entry;

      g_assert_nonnull (dir);
      while ((entry = g_dir_read_name (dir)) != NULL)
        {
          /* Golden files are named by input alone: names must not clash. */
          g_assert_false (g_hash_table_contains (names, entry));
          g_hash_table_add (names, g_strdup (entry));
          g_ptr_array_add (files, g_build_filename (dir_path, entry, NULL));
        }
      g_ptr_array_sort (files, compare_strings);
      for (guint j = 0; j < files->len; j++)
        g_ptr_array_add (inputs, g_strdup (g_ptr_array_index (files, j)));
    }
  return inputs;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) inputs = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_nonnull (g_getenv ("WS_TEST_SRCDIR"));
  updating = g_strcmp0 (g_getenv ("WS_GOLDEN_UPDATE"), "1") == 0;
  rejected = g_ptr_array_new_with_free_func (g_free);
  inputs = collect_inputs (names);

  for (guint i = 0; i < inputs->len; i++)
    {
      const char *path = g_ptr_array_index (inputs, i);
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *test_path = g_strconcat ("/golden/result-json/", base, NULL);

      g_test_add_data_func (test_path, path, test_input);
    }
  /* GTest runs tests in the order added, so the list is complete here. */
  g_test_add_func ("/golden/result-json/~rejected", test_rejected);
  g_test_add_data_func ("/golden/result-json/~no-stale", names, test_no_stale);
  status = g_test_run ();
  g_ptr_array_unref (rejected);
  return status;
}

/* fuzz-replay.c — run a fuzz harness over saved inputs, without libFuzzer
 *
 *   fuzz-replay-HARNESS [--tap] DIR|FILE...
 *
 * Calls the harness's LLVMFuzzerTestOneInput() once for every file given
 * and every file in every directory given (a missing directory is empty),
 * in name order, and prints TAP. Linked with each harness in every build,
 * so the seed corpus and every crash the fuzzers ever found stay tests:
 * under ASan and UBSan in _build-asan, with gcc as well as clang.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <sys/resource.h>

#include "fuzz.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif

/* libFuzzer's -rss_limit_mb=2048, here too: a runaway allocation (as the
 * sampler's once was) fails at once as a crash instead of swapping the
 * machine to a halt. ASan reserves terabytes of shadow memory, so under ASan
 * its own allocation cap does this; elsewhere the address space is capped. */
#define MEMORY_LIMIT_MB 2048

#ifdef FUZZ_ASAN
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "max_allocation_size_mb=" G_STRINGIFY (MEMORY_LIMIT_MB) ":allocator_may_return_null=0";
}
#endif

static void
limit_memory (void)
{
#ifndef FUZZ_ASAN
  struct rlimit limit = { (rlim_t) MEMORY_LIMIT_MB * 4 << 20, (rlim_t) MEMORY_LIMIT_MB * 4 << 20 };

  /* Room for the program and its libraries beside the limit itself. */
  setrlimit (RLIMIT_AS, &limit);
#endif
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The files of @path, or @path itself if it is not a directory. */
static void
collect (const char *path,
         GPtrArray  *files)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_ptr_array_add (files, g_strdup (path));
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (name[0] != '.')
      g_ptr_array_add (names, g_build_filename (path, name, NULL));
  g_ptr_array_sort (names, compare_strings);
  for (guint i = 0; i < names->len; i++)
    if (g_file_test (names->pdata[i], G_FILE_TEST_IS_REGULAR))
      g_ptr_array_add (files, g_strdup (names->pdata[i]));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);

  limit_memory ();
  LLVMFuzzerInitialize (&argc, &argv);
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--tap") != 0)
      collect (argv[i], files);

  /* No inputs at all means a wrong path, not a pass. */
  if (files->len == 0)
    {
      printf ("1..0 # SKIP no inputs\n");
      fprintf (stderr, "fuzz-replay: no input files\n");
      return 1;
    }
  printf ("1..%u\n", files->len);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autofree char *contents = NULL;
      g_autoptr(GError) error = NULL;
      gsize length;

      /* Named before the run: a crash ends the output right after it. */
      printf ("# %s\n", path);
      fflush (stdout);
      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          printf ("not ok %u - %s: %s\n", i + 1, path, error->message);
          continue;
        }
      /* An exact-size copy, so ASan sees a read past the input's end;
       * never NULL, as libFuzzer's empty input is not. */
      {
        g_autofree guint8 *input = g_malloc (MAX (length, 1));

        memcpy (input, contents, length);

        LLVMFuzzerTestOneInput (input, length);
      }
      printf ("ok %u - %s\n", i + 1, path);
    }
  return 0;
}

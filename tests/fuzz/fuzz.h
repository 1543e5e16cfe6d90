/* fuzz.h — what the fuzz harnesses share
 *
 * Every harness defines LLVMFuzzerTestOneInput() and is built twice: with
 * clang's libFuzzer, which calls it with generated inputs, and with
 * fuzz-replay.c, which calls it once for every file of the seed corpus and
 * of the regressions in every build, gcc's included.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

G_BEGIN_DECLS

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* An oracle failed: a finding as real as a crash. abort() rather than
 * g_assert(), so that it cannot be compiled out and libFuzzer saves the
 * input as a crash. */
#define FUZZ_CHECK(cond) \
  G_STMT_START { \
    if (G_UNLIKELY (!(cond))) \
      { \
        fprintf (stderr, "%s:%d: oracle failed: %s\n", __FILE__, __LINE__, #cond); \
        abort (); \
      } \
  } G_STMT_END

/* A critical or a warning from the engine or GLib means a code path the
 * parser should not reach on any input: make it a crash too. */
static inline void
fuzz_init_logging (void)
{
  g_log_set_always_fatal (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

G_END_DECLS

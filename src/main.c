/* main.c — one program, three faces
 *
 * The choice between the desktop app and the headless faces is made here,
 * before anything can touch a display: any argument means the command line,
 * which never initialises GTK.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <signal.h>

#include "ws-cli.h"
#include "ws-application.h"

int
main (int    argc,
      char **argv)
{
  const char *localedir = g_getenv ("WIRESPEED_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* build-aux/run points this at the build tree's compiled translations. */
  bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A peer that vanishes mid-write must cost an error code, not the process. */
  signal (SIGPIPE, SIG_IGN);

  if (argc > 1)
    return ws_cli_main (argc, argv);
  return ws_application_run (argc, argv);
}

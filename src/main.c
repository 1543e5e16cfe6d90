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
#include "gui/ws-application.h"

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* A peer that vanishes mid-write must cost an error code, not the process. */
  signal (SIGPIPE, SIG_IGN);

  if (argc > 1)
    return ws_cli_main (argc, argv);
  return ws_application_run (argc, argv);
}

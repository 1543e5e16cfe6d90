/* ws-spool.h — an agent's reports on disk until a collector has them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The default cap: a few days of a busy agent's results, under 1 GB. */
#define WS_SPOOL_DEFAULT_MAX 100000
#define WS_SPOOL_MAX_MAX 10000000

/* One spooled report: its place in the queue, its id and its JSON. */
typedef struct {
  gint64 seq;   /* increases with every add, never reused */
  char *id;
  char *json;
} WsSpoolEntry;

/* What the spool counts for as long as the file lives. */
typedef enum {
  WS_SPOOL_DROPPED,   /* the oldest, dropped at the cap */
  WS_SPOOL_REJECTED,  /* refused by a collector, removed */
  WS_SPOOL_N_COUNTERS
} WsSpoolCounter;

#define WS_TYPE_SPOOL (ws_spool_get_type ())
G_DECLARE_FINAL_TYPE (WsSpool, ws_spool, WS, SPOOL, GObject)

char       *ws_spool_default_path (void);
WsSpool    *ws_spool_open         (const char    *path,
                                   guint          max_reports,
                                   GError       **error);
const char *ws_spool_get_path     (WsSpool       *self);
gboolean    ws_spool_add          (WsSpool       *self,
                                   const char    *id,
                                   const char    *json,
                                   guint         *dropped,
                                   GError       **error);
gboolean    ws_spool_add_many     (WsSpool            *self,
                                   const char * const *ids,
                                   const char * const *jsons,
                                   guint               n,
                                   gboolean           *added,
                                   guint              *dropped,
                                   GError            **error);
GPtrArray  *ws_spool_next         (WsSpool       *self,
                                   gint64         after_seq,
                                   guint          limit,
                                   GError       **error);
gboolean    ws_spool_remove       (WsSpool       *self,
                                   const char    *id,
                                   gboolean       rejected,
                                   GError       **error);
guint       ws_spool_get_count    (WsSpool       *self);
guint64     ws_spool_get_counter  (WsSpool       *self,
                                   WsSpoolCounter counter);
char       *ws_spool_get_text     (WsSpool       *self,
                                   const char    *key);
gboolean    ws_spool_set_text     (WsSpool       *self,
                                   const char    *key,
                                   const char    *text,
                                   GError       **error);

void        ws_spool_entry_free   (WsSpoolEntry  *entry);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WsSpoolEntry, ws_spool_entry_free)

G_END_DECLS

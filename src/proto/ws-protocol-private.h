/* ws-protocol-private.h — what the codec's files share: cursors, sizes
 *
 * Only src/proto/ws-protocol*.c include this; the API is ws-protocol.h.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <string.h>

#include "ws-protocol.h"

G_BEGIN_DECLS

gssize   ws_protocol_v2_payload (guint8       type);
guint8   ws_protocol_v1_size    (guint8       type);
gboolean ws_protocol_invalid    (GError     **error,
                                 const char  *format,
                                 ...) G_GNUC_PRINTF (2, 3);

/* Big-endian readers and writers over a moving cursor. */
typedef struct {
  const guint8 *p;
} Reader;

static inline guint8
get_u8 (Reader *r)
{
  return *r->p++;
}

static inline guint16
get_u16 (Reader *r)
{
  guint16 v = ((guint16) r->p[0] << 8) | r->p[1];
  r->p += 2;
  return v;
}

static inline guint32
get_u32 (Reader *r)
{
  guint32 v = ((guint32) r->p[0] << 24) | ((guint32) r->p[1] << 16)
              | ((guint32) r->p[2] << 8) | r->p[3];
  r->p += 4;
  return v;
}

static inline guint64
get_u64 (Reader *r)
{
  guint64 hi = get_u32 (r);
  return (hi << 32) | get_u32 (r);
}

static inline void
get_bytes (Reader *r, guint8 *out, gsize n)
{
  memcpy (out, r->p, n);
  r->p += n;
}

static inline void
skip (Reader *r, gsize n)
{
  r->p += n;
}

typedef struct {
  guint8 *p;
} Writer;

static inline void
put_u8 (Writer *w, guint8 v)
{
  *w->p++ = v;
}

static inline void
put_u16 (Writer *w, guint16 v)
{
  *w->p++ = v >> 8;
  *w->p++ = v & 0xff;
}

static inline void
put_u32 (Writer *w, guint32 v)
{
  put_u16 (w, v >> 16);
  put_u16 (w, v & 0xffff);
}

static inline void
put_u64 (Writer *w, guint64 v)
{
  put_u32 (w, v >> 32);
  put_u32 (w, v & 0xffffffffu);
}

static inline void
put_bytes (Writer *w, const guint8 *in, gsize n)
{
  memcpy (w->p, in, n);
  w->p += n;
}

static inline void
put_zero (Writer *w, gsize n)
{
  memset (w->p, 0, n);
  w->p += n;
}

G_END_DECLS

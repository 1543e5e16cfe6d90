/* ws-http-upload-stream.c — a request body of generated data, counted
 *
 * libsoup reads the body of an upload from a GInputStream as it sends it;
 * this one makes @size bytes of incompressible data (a pseudo-random block,
 * made once, read over and over from a moving offset) and counts each
 * read into the stream's counter, so the upload's samples flow live.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "ws-http-upload-stream.h"

/* Larger than any read libsoup makes, and than any compressor's window. */
#define BLOCK_SIZE (4 * 1024 * 1024)

struct _WsHttpUploadStream {
  GInputStream parent_instance;

  guint64 size;
  guint64 sent;
  _Atomic guint64 *counter;
};

G_DEFINE_FINAL_TYPE (WsHttpUploadStream, ws_http_upload_stream, G_TYPE_INPUT_STREAM)

/* One block for every stream of every test: written once, then only read. */
static const guint8 *
data_block (void)
{
  static gsize block;

  if (g_once_init_enter (&block))
    {
      guint8 *b = g_malloc (BLOCK_SIZE);
      guint64 x = 0x9e3779b97f4a7c15ull;

      /* xorshift64*: fast, and nothing a compressor finds a pattern in. */
      for (gsize i = 0; i < BLOCK_SIZE; i += sizeof x)
        {
          guint64 v;

          x ^= x >> 12;
          x ^= x << 25;
          x ^= x >> 27;
          v = x * 0x2545f4914f6cdd1dull;
          memcpy (b + i, &v, sizeof v);
        }
      g_once_init_leave (&block, (gsize) b);
    }
  return (const guint8 *) block;
}

static gssize
ws_http_upload_stream_read (GInputStream  *stream,
                            void          *buffer,
                            gsize          count,
                            GCancellable  *cancellable,
                            GError       **error)
{
  WsHttpUploadStream *self = WS_HTTP_UPLOAD_STREAM (stream);
  gsize offset = self->sent % BLOCK_SIZE;
  gsize n = MIN (count, MIN (self->size - self->sent, BLOCK_SIZE - offset));

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  memcpy (buffer, data_block () + offset, n);
  self->sent += n;
  atomic_fetch_add_explicit (self->counter, n, memory_order_relaxed);
  return n;
}

static void
ws_http_upload_stream_class_init (WsHttpUploadStreamClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = ws_http_upload_stream_read;
}

static void
ws_http_upload_stream_init (WsHttpUploadStream *self)
{
}

/**
 * ws_http_upload_stream_new:
 * @counter: where each read is counted; must outlive the stream
 */
GInputStream *
ws_http_upload_stream_new (guint64          size,
                           _Atomic guint64 *counter)
{
  WsHttpUploadStream *self = g_object_new (WS_TYPE_HTTP_UPLOAD_STREAM, NULL);

  self->size = size;
  self->counter = counter;
  return G_INPUT_STREAM (self);
}

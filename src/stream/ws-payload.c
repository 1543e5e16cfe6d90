/* ws-payload.c — the bytes a test sends
 *
 * Incompressible, so that no compressing link or VPN flatters a result,
 * and the same in every stream. A TCP sender sends them from one memfd
 * with sendfile(): the kernel takes the pages by reference instead of
 * copying each write from user memory, which is most of a loopback
 * sender's CPU time.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ws-payload.h"

/* xorshift64*: fast, and nothing a compressor can find a pattern in. */
void
ws_payload_fill (guint8 *buf,
                 gsize   size)
{
  guint64 x = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  gsize i = 0;

  while (i < size)
    {
      guint64 v;

      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      v = x * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d);
      for (guint k = 0; k < 8 && i < size; k++, i++)
        buf[i] = (guint8) (v >> (8 * k));
    }
}

/* The pattern, WS_PAYLOAD_FD_SIZE bytes, made on first use and kept. */
const guint8 *
ws_payload_bytes (void)
{
  static guint8 *bytes;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      bytes = g_malloc (WS_PAYLOAD_FD_SIZE);
      ws_payload_fill (bytes, WS_PAYLOAD_FD_SIZE);
      g_once_init_leave (&once, 1);
    }
  return bytes;
}

static int
create_fd (void)
{
  const guint8 *buf = ws_payload_bytes ();
  int fd = memfd_create ("wirespeed-payload", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  gsize done = 0;

  if (fd < 0)
    return -1;
  while (done < WS_PAYLOAD_FD_SIZE)
    {
      ssize_t n = write (fd, buf + done, WS_PAYLOAD_FD_SIZE - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          close (fd);
          return -1;
        }
      done += n;
    }
  /* Sealed: no write can change what streams in flight still reference. */
  fcntl (fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

/* One for the process, made on first use; -1 when the kernel has no
 * memfd, and the senders copy from their buffers as before. */
int
ws_payload_fd (void)
{
  static gsize once;
  static int fd = -1;

  if (g_once_init_enter (&once))
    {
      fd = create_fd ();
      g_once_init_leave (&once, 1);
    }
  return fd;
}

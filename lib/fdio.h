/* fdio: whole reads at an offset, for the readers of log files (aifb-agent's tails, aifb-logs). */
#ifndef AIFB_FDIO_H
#define AIFB_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Reads len bytes at offset (pread, so the fd's position is neither used nor moved), retrying short
 * reads and EINTR. Returns the count (short only at the end of the file), or -1 with errno. */
ssize_t pread_full(int fd, void *dst, size_t len, off_t offset);

#endif

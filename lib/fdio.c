/* fdio: a regular file can still give a short read (a signal, a file cut while read). */
#include "fdio.h"

#include <errno.h>
#include <unistd.h>

ssize_t pread_full(int fd, void *dst, size_t len, off_t offset)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, (char *)dst + got, len - got, offset + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

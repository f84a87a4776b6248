/* libFuzzer harness for httpr: a service's reply, read through the tunnel, is untrusted bytes.
 * The input is fed in pieces whose sizes come from its first byte, then the end is signalled. */
#include <stdint.h>
#include <string.h>

#include "httpr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_body(void *ctx, const char *d, size_t n)
{
    size_t *total = ctx;
    *total += n;
    (void)d;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 17 + 1, total = 0;
    struct httpr h;
    httpr_init(&h, NULL, on_body, &total);
    for (size_t i = 1; i < size; i += step)
        if (httpr_feed(&h, (const char *)data + i, size - i < step ? size - i : step) < 0)
            break;
    httpr_end(&h);
    return 0;
}

/* libFuzzer harness for the config parser: any bytes give a config or an error naming a line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char err[256];
    struct config *c = config_parse(text, err, sizeof(err));
    if (c) {
        const char *v = config_get(c, "db.dsn", NULL);
        (void)v;
        long long x;
        config_get_int(c, "workers", 2, 1, 64, &x, err, sizeof(err));
    }
    config_free(c);
    free(text);
    return 0;
}

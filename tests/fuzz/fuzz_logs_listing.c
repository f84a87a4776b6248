/* libFuzzer harness for the lines aifb-logs reads from rsync --list-only (what the login node lists:
 * any file name a job could make) and the categories it gives a path. A line taken as a file must
 * name a path categorize_path_ok takes, inside the line, with no "." or ".." component, no leading
 * "/" and nothing outside [A-Za-z0-9._/-]; categorize must give one of log_files' categories for it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fcgi-apps/logs/categorize.h"
#include "../../fcgi-apps/logs/listing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const categories[] = {"server",     "client", "vllm",         "vector-db",
                                         "monitoring", "agent",  "uncategorized"};

/* True when a component of path is "." or "..". */
static bool dot_component(const char *path)
{
    for (const char *c = path; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
        size_t n = strcspn(c, "/");
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *line = malloc(size + 1);
    memcpy(line, data, size);
    line[size] = '\0';
    struct listing_entry e;
    if (listing_parse(line, &e) == LISTING_FILE) {
        size_t n = strlen(e.path);
        if (e.path < line || e.path + n > line + size || e.size < 0 || e.path[0] == '/' || dot_component(e.path) ||
            strspn(e.path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/-") != n)
            abort();
        struct log_meta m;
        categorize(e.path, &m);
        bool known = false;
        for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++)
            known |= strcmp(m.category, categories[i]) == 0;
        if (!known || m.job < 0 || m.service < 0 || m.run < 0)
            abort();
    }
    free(line);
    return 0;
}

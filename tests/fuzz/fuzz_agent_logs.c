/* libFuzzer harness for the text of aifb-agent's `logs` answer: the bytes are the end of a job's log,
 * anything a job wrote. The first byte says whether the tail was cut inside the file and how tight
 * the cap on the JSON form is. The text must come out as valid UTF-8 without NUL of the same length,
 * start on a whole character, fit the cap, and make a JSON string of exactly the predicted size. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../remote-agent/agent/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    bool cut = data[0] & 1;
    size_t max = (size_t)(data[0] >> 1) * size / 64;
    size_t len = size - 1;
    char *s = malloc(len + 1);
    memcpy(s, data + 1, len);
    s[len] = '\0';
    size_t skip = cut ? logs_char_start(s, len) : 0;
    if (skip > 3 || skip > len)
        abort();
    logs_utf8_fix(s + skip, len - skip);
    size_t at = skip + logs_fit(s + skip, len - skip, max);
    if (at > len || (at < len && ((unsigned char)s[at] & 0xC0) == 0x80))
        abort(); /* inside a character */
    size_t json_len = logs_json_len(s + at, len - at);
    if (json_len > max)
        abort(); /* over the cap */
    json_t *j = json_stringn(s + skip, len - skip);
    if (!j || memchr(s + skip, '\0', len - skip))
        abort(); /* not valid UTF-8 after the fix */
    json_decref(j);
    j = json_stringn(s + at, len - at);
    char *dump = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (!dump || strlen(dump) != json_len + 2)
        abort(); /* the predicted size is jansson's */
    free(dump);
    json_decref(j);
    free(s);
    return 0;
}

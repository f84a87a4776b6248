/* utf8: the one check of a UTF-8 character, for texts that go into JSON (jansson refuses invalid
 * UTF-8): aifb-agent's log tails and aifb-logs's reads. */
#ifndef AIFB_UTF8_H
#define AIFB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True for a continuation byte (10xxxxxx). */
bool utf8_cont(unsigned char c);

/* The length of the valid UTF-8 character at s (n bytes left, n >= 1), or 0 when it is not one:
 * overlong forms, surrogates, code points past U+10FFFF and NUL are not. */
size_t utf8_char(const unsigned char *s, size_t n);

#endif

/* The bytes the tests post and the canary that marks input beyond
 * PayloadSize: a canary equal to a pattern byte would read a stale byte of
 * an earlier message as a leak of this one's input. The pattern i*7+1 takes
 * 240 distinct values over the 240 payload bytes (7 is odd, so i*7 is a
 * bijection mod 256); 0xE5 is one of the 16 it never takes (i = 244).
 * Pure; host-tested (tests/host/pattern_test.h). */
#ifndef TESTS_PATTERN_H
#define TESTS_PATTERN_H
#include <stdint.h>

#define POST_CANARY 0xE5

static inline uint8_t post_pattern(uint32_t i) { return (uint8_t)(i * 7 + 1); }

#endif

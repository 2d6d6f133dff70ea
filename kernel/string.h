/* The few libc string functions a freestanding kernel needs (gcc may also
 * emit calls to memcpy/memset/memcmp itself). */
#ifndef KERNEL_STRING_H
#define KERNEL_STRING_H
#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif

#include "glob.h"

int glob_match(const char *p, const char *s)
{
    const char *star = 0, *resume = 0;
    while (*s) {
        if (*p == '*') { star = p++; resume = s; }
        else if (*p == '?' || *p == *s) { p++; s++; }
        else if (star) { p = star + 1; s = ++resume; }
        else return 0;
    }
    while (*p == '*') p++;
    return *p == '\0';
}

int glob_is_literal(const char *p)
{
    for (; *p; p++)
        if (*p == '*' || *p == '?') return 0;
    return 1;
}

/* make coverage: print docs/coverage.md's generated section (tests/host/coverage.h). */
#include "coverage.h"

static char text[1 << 17];

int main(void)
{
    size_t n = coverage_markdown(text, sizeof text);
    if (n >= sizeof text) { fprintf(stderr, "coverage: section longer than %zu bytes\n", sizeof text); return 1; }
    fputs(text, stdout);
    return 0;
}

/* docs/coverage.md's list is what the rule table generates (run from
 * the repository root, as make hosttest does). */
#include "coverage.h"

static char cov_want[1 << 17], cov_doc[1 << 18];

static void test_coverage(void)
{
    size_t n = coverage_markdown(cov_want, sizeof cov_want);
    CHECK(n < sizeof cov_want);
    FILE *f = fopen("docs/coverage.md", "r");
    CHECK(f != NULL);
    if (!f) return;
    size_t len = fread(cov_doc, 1, sizeof cov_doc - 1, f);
    fclose(f);
    cov_doc[len] = '\0';
    char *begin = strstr(cov_doc, COVERAGE_BEGIN), *end = begin ? strstr(begin, COVERAGE_END) : NULL;
    CHECK(begin != NULL && end != NULL);
    if (!begin || !end) return;
    end[strlen(COVERAGE_END)] = '\0';
    if (strcmp(begin, cov_want) != 0) {
        printf("FAIL %s:%d docs/coverage.md differs from the rule table: run `make coverage-docs`\n", __FILE__, __LINE__);
        checks_failed++;
    } else {
        checks_passed++;
    }
}

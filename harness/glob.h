/* Shell-style name matching for test selection: '*' any run, '?' one char. */
#ifndef HARNESS_GLOB_H
#define HARNESS_GLOB_H

int glob_match(const char *pattern, const char *name);
/* Does the pattern contain a wildcard? */
int glob_is_literal(const char *pattern);

#endif

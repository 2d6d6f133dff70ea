/* The rule table's lookups (tests/rules.h). Pure; host-compiled too. */
#include "rules.h"
#include "../harness/test.h"
#include "../kernel/string.h"

extern const struct rule rules_post[], rules_abi[], rules_synic[];
extern const int rules_post_count, rules_abi_count, rules_synic_count;

int rule_count(void) { return rules_post_count + rules_abi_count + rules_synic_count; }

const struct rule *rule_at(int i)
{
    if (i < 0) return 0;
    if (i < rules_post_count) return &rules_post[i];
    i -= rules_post_count;
    if (i < rules_abi_count) return &rules_abi[i];
    i -= rules_abi_count;
    return i < rules_synic_count ? &rules_synic[i] : 0;
}

const struct rule *rule_find(const char *name)
{
    for (int i = 0; i < rule_count(); i++)
        if (strcmp(rule_at(i)->name, name) == 0) return rule_at(i);
    return 0;
}

int rule_row(int i, struct test *out, int *own)
{
    const struct rule *r = rule_at(i);
    if (!r) return 0;
    *out = (struct test){ r->name, 0, 0, r->kind, r->source, r };
    *own = r->field == RF_OWN;
    return 1;
}

int rule_valid(const struct rule *r) { return r->ok == RULE_OK(0) && !r->fault; }

int rule_holds(const struct rule *r, uint64_t x)
{
    uint64_t v = x & r->mask;
    return r->lo <= r->hi && v >= r->lo && v <= r->hi;
}

/* The rule table's kinds and readings where the TLFS text decides them
 * (issue 22): a "might" is a reading, a helper's assumption is a reading, a
 * status is allowed only when its condition can hold, and the input's two
 * reserved fields are read alike. */
#include "../rules.h"
#include "../../harness/test.h"
#include "../../hv/tlfs.h"

static const struct rule *kind_row(const char *name)
{
    const struct rule *r = rule_find(name);
    CHECK(r != NULL);
    return r;
}

static void test_rules_kinds(void)
{
    const struct rule *raw = kind_row("abi.raw_instruction"), *port = kind_row("deliver.port_field");
    const struct rule *fast = kind_row("abi.fast"), *conn = kind_row("post.conn_reserved_bits");
    const struct rule *pad = kind_row("post.rsvdz_nonzero");
    if (!raw || !port || !fast || !conn || !pad) return;
    /* 6.0b 3.5: a raw call "might" #UD; nothing else is promised */
    CHECK_INT(raw->kind, READING);
    /* two connections = two ports is the helper's, not the TLFS's */
    CHECK_INT(port->kind, READING);
    /* INVALID_HYPERCALL_CODE is "not recognized": 0x005C is recognized */
    CHECK(!(fast->ok & RULE_OK(HV_STATUS_INVALID_HYPERCALL_CODE)));
    CHECK(fast->ok & RULE_OK(HV_STATUS_INVALID_HYPERCALL_INPUT));
    /* reserved fields: the same reading, refused or ignored */
    CHECK_INT(conn->kind, pad->kind);
    CHECK(conn->ok & RULE_OK(HV_STATUS_SUCCESS));
    CHECK(pad->ok & RULE_OK(HV_STATUS_SUCCESS));
    CHECK(conn->ok & RULE_OK(HV_STATUS_INVALID_PARAMETER));
    CHECK(pad->ok & RULE_OK(HV_STATUS_INVALID_PARAMETER));
}

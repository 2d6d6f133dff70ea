/* tests/pattern.h: the canary is none of the 240 payload pattern bytes. */
#include "../pattern.h"
#include "../../hv/tlfs.h"

static void test_pattern(void)
{
    int hits = 0;
    for (uint32_t i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++) hits += post_pattern(i) == POST_CANARY;
    CHECK_INT(hits, 0);
    CHECK_INT(post_pattern(0), 1);
}

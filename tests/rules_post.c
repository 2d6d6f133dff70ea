/* Rule table, part 1: HvCallPostMessage's own input and return-value tables
 * (docs/spec/HvCallPostMessage.md; TLFS 6.0b 11.11 HvPostMessage). */
#include "rules.h"
#include "../harness/test.h"
#include "../hv/tlfs.h"

#define PM "TLFS online 'HvCallPostMessage' (Return Values), 6.0b 11.11 HvPostMessage: "
#define PM_IN "TLFS online 'HvCallPostMessage' (Input Parameters), 6.0b 11.11 HvPostMessage: "
#define S(x) RULE_OK(HV_STATUS_##x)
/* what both reserved-field rows take */
#define RSVD_TAKEN "Taken: a reserved field the caller set nonzero is refused (nothing delivered) or ignored (SUCCESS, " \
    "delivered exactly as posted, to the connection the other bits name)"

const struct rule rules_post[] = {
    { .name = "post.success", .kind = NORMATIVE,
      .source = PM_IN "'If the message is successfully posted, then it will be queued for delivery to a "
      "virtual processor within the partition associated with the port'; 'Only the first n bytes are actually sent'",
      .what = "a valid post of 64 bytes",
      .field = RF_NONE, .value = 0, RULE_NEVER, .ok = S(SUCCESS) },
    { .name = "post.conn_unknown", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_CONNECTION_ID 'The specified connection ID is invalid.'",
      .what = "a connection id nobody created (0xabcdef)",
      .field = RF_CONN_ID, .value = RULE_CONN_UNKNOWN, .mask = 0xFFFFFF, .lo = 1, .hi = 0xFFFFFF,
      .ok = S(INVALID_CONNECTION_ID) },
    /* the same rule where a host that compares fewer than 24 bits would take
     * the id for a live one (post_tests.c; the fuzzer's ids are conn_unknown's) */
    { .name = "post.conn_near", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_CONNECTION_ID 'The specified connection ID is invalid.' with "
      "HV_CONNECTION_ID (online datatypes/hv_connection_id, 6.0b 11.10): the id is bits 23:0",
      .what = "a live connection's id with bits 23:8 changed (xor 0xabcd00): its low byte names the live one",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INVALID_CONNECTION_ID) },
    { .name = "post.conn_zero", .kind = READING,
      .source = "reading: " PM "'The specified connection ID is invalid' with HV_CONNECTION_ID "
      "(online datatypes/hv_connection_id, 6.0b 11.10) 'All connection IDs are unique within a partition', which makes no id "
      "invalid by value. Taken: id 0 names no connection, as no host creates one (Hyper-V's VMBus uses 1 and 4, QEMU's "
      "vmbus-bridge 1, hyperv-testdev the ids this suite asks for)",
      .what = "connection id 0",
      .field = RF_CONN_ID, .value = 0, RULE_ONLY(0), .ok = S(INVALID_CONNECTION_ID) },
    /* The two reserved fields of the input, read alike (tests/host/coverage_test.h checks it). */
    { .name = "post.conn_reserved_bits", .kind = READING,
      .source = "reading: HV_CONNECTION_ID (online datatypes/hv_connection_id, 6.0b 11.10) 'The "
      "high 8 bits are reserved and must be zero'; neither " PM "nor 6.0b 3.12's common status codes name a status for a "
      "reserved input field (INVALID_HYPERCALL_INPUT's 'reserved bit' is the hypercall input value's, the control word). "
      RSVD_TAKEN " (refused: INVALID_CONNECTION_ID, 'The specified connection ID is invalid', or INVALID_PARAMETER)",
      .what = "the valid id with bit 24 set",
      .field = RF_CONN_RSVD, .value = 0x01000000u, .mask = 0xFF000000u, .lo = 0x01000000u, .hi = 0xFF000000u,
      .ok = S(SUCCESS) | S(INVALID_CONNECTION_ID) | S(INVALID_PARAMETER) },
    { .name = "post.rsvdz_nonzero", .kind = READING,
      .source = "reading: the online 'HvCallPostMessage' names input offset 4 RsvdZ, 6.0b 11.11 "
      "'Padding (4 bytes)', and 6.0b 3.1 (online 'Hypercall Interface') says 'The values within the padding regions are "
      "ignored by the hypervisor'; " PM "names no status for it. " RSVD_TAKEN " (refused: INVALID_PARAMETER or "
      "INVALID_HYPERCALL_INPUT)",
      .what = "offset 4 (RsvdZ / padding) = 1",
      .field = RF_RSVDZ, .value = 1, .mask = 0xFFFFFFFFu, .lo = 1, .hi = 0xFFFFFFFFu,
      .ok = S(SUCCESS) | S(INVALID_PARAMETER) | S(INVALID_HYPERCALL_INPUT) },
    { .name = "post.type_zero", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The MessageType parameter specifies a value of zero.'",
      .what = "MessageType 0",
      .field = RF_TYPE, .value = 0, RULE_ONLY(0), .ok = S(INVALID_PARAMETER) },
    { .name = "post.type_msb", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified message type is set.'",
      .what = "MessageType 0x80000000",
      .field = RF_TYPE, .value = 0x80000000u, .mask = 0xFFFFFFFFu, .lo = 0x80000000u, .hi = 0xFFFFFFFFu,
      .ok = S(INVALID_PARAMETER) },
    { .name = "post.type_hypervisor_range", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified "
      "message type is set'; 6.0b 11.10 'Guest-initiated messages cannot send messages with a hypervisor message type'",
      .what = "MessageType 0x80000010 (HvMessageTimerExpired)",
      .field = RF_TYPE, .value = 0x80000010u, .mask = 0xFFFFFFFFu, .lo = 0x80000001u, .hi = 0x800000FFu,
      .ok = S(INVALID_PARAMETER) },
    { .name = "post.type_all_ones", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified message type is set.'",
      .what = "MessageType 0xffffffff",
      .field = RF_TYPE, .value = 0xFFFFFFFFu, RULE_ONLY(0xFFFFFFFFu), .ok = S(INVALID_PARAMETER) },
    { .name = "post.type_one", .kind = NORMATIVE,
      .source = PM_IN "'The caller can specify any 32-bit message type whose most significant bit is cleared, "
      "with the exception of zero'; it 'will appear within the message header'",
      .what = "MessageType 1",
      .field = RF_TYPE, .value = 1, RULE_ONLY(1), .ok = S(SUCCESS) },
    { .name = "post.type_max", .kind = NORMATIVE,
      .source = PM_IN "'The caller can specify any 32-bit message type whose most significant bit is cleared, "
      "with the exception of zero'",
      .what = "MessageType 0x7fffffff",
      .field = RF_TYPE, .value = 0x7FFFFFFFu, RULE_ONLY(0x7FFFFFFFu), .ok = S(SUCCESS) },
    { .name = "post.payload_0", .kind = NORMATIVE,
      .source = PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      .what = "PayloadSize 0",
      .field = RF_SIZE, .value = 0, RULE_ONLY(0), .ok = S(SUCCESS) },
    { .name = "post.payload_1", .kind = NORMATIVE,
      .source = PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      .what = "PayloadSize 1",
      .field = RF_SIZE, .value = 1, RULE_ONLY(1), .ok = S(SUCCESS) },
    { .name = "post.payload_239", .kind = NORMATIVE,
      .source = PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      .what = "PayloadSize 239",
      .field = RF_SIZE, .value = 239, RULE_ONLY(239), .ok = S(SUCCESS) },
    { .name = "post.payload_240", .kind = NORMATIVE,
      .source = PM_IN "Message 'up to 240 bytes total'",
      .what = "PayloadSize 240",
      .field = RF_SIZE, .value = 240, RULE_ONLY(240), .ok = S(SUCCESS) },
    { .name = "post.payload_241", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      .what = "PayloadSize 241",
      .field = RF_SIZE, .value = 241, .mask = 0xFFFFFFFFu, .lo = 241, .hi = 0xFFFFFFFFu, .ok = S(INVALID_PARAMETER) },
    { .name = "post.payload_256", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      .what = "PayloadSize 256",
      .field = RF_SIZE, .value = 256, RULE_ONLY(256), .ok = S(INVALID_PARAMETER) },
    { .name = "post.payload_max", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      .what = "PayloadSize 0xffffffff",
      .field = RF_SIZE, .value = 0xFFFFFFFFu, RULE_ONLY(0xFFFFFFFFu), .ok = S(INVALID_PARAMETER) },
    { .name = "post.insufficient_buffers", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INSUFFICIENT_BUFFERS 'The port has no available guest message "
      "buffers'; 6.0b 11.3 (online 'Inter-Partition Communication') 'the hypervisor will allocate sixteen (16) message buffers', "
      "and Reliability and Sequencing: 'Messages successfully posted by a guest have been queued for delivery' and 'Messages "
      "arrive in the order in which they have been successfully posted'; 6.0b 11.10 MessagePending 'indicates whether or not "
      "there are any messages pending in the message queue' and 'may be set ... upon message delivery or at any time "
      "afterwards. The flag should be tested after the message slot has been emptied'",
      .what = "posts while the slot stays full, until refused; then each accepted message once, in order, MessagePending set "
      "while more are queued",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INSUFFICIENT_BUFFERS) },
    { .name = "post.synic_disabled", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_SYNIC_STATE 'The target VP's SynIC is disabled and cannot "
      "accept posted messages.'",
      .what = "SCONTROL = 0 on the target VP",
      .field = RF_SYNIC, .value = SYNIC_SCONTROL_OFF, RULE_ONLY(SYNIC_SCONTROL_OFF), .ok = S(INVALID_SYNIC_STATE) },
    { .name = "post.simp_disabled", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_SYNIC_STATE 'The target VP's SIM page is disabled.'",
      .what = "SIMP enable bit clear on the target VP",
      .field = RF_SYNIC, .value = SYNIC_SIMP_OFF, RULE_ONLY(SYNIC_SIMP_OFF), .ok = S(INVALID_SYNIC_STATE) },
    { .name = "post.port_not_message", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified connection "
      "is not a \"message\" type port.'",
      .what = "a connection to an event port",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INVALID_PORT_ID) },
    { .name = "post.port_deleted", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified connection has "
      "been deleted.'",
      .what = "a connection whose port was deleted",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INVALID_PORT_ID) },
    { .name = "post.port_partition_inactive", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified "
      "connection belongs to a partition that is not in the \"active\" state.'",
      .what = "a port of an inactive partition",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INVALID_PORT_ID) },
    { .name = "post.vp_index_missing", .kind = NORMATIVE,
      .source = PM "HV_STATUS_INVALID_VP_INDEX 'The target VP no longer exists or there are no "
      "available VPs to which the message can be posted.'",
      .what = "a connection to a VP index the partition doesn't have",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(INVALID_VP_INDEX) },
    { .name = "post.access_denied", .kind = NORMATIVE,
      .source = PM "HV_STATUS_ACCESS_DENIED 'The caller's partition does not possess the "
      "PostMessages privilege.'",
      .what = "a partition without PostMessages",
      .field = RF_OWN, .value = 0, RULE_NEVER, .ok = S(ACCESS_DENIED) },
};
const int rules_post_count = (int)(sizeof rules_post / sizeof rules_post[0]);

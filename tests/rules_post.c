/* Rule table, part 1: HvCallPostMessage's own input and return-value tables
 * (docs/spec/HvCallPostMessage.md; TLFS 6.0b 11.11 HvPostMessage). */
#include "rules.h"
#include "../harness/test.h"
#include "../hv/tlfs.h"

#define PM "TLFS online 'HvCallPostMessage' (Return Values), 6.0b 11.11 HvPostMessage: "
#define PM_IN "TLFS online 'HvCallPostMessage' (Input Parameters), 6.0b 11.11 HvPostMessage: "
#define NEVER 0, 1, 0                       /* a class no input is in: the fuzzer never draws it */
#define ONLY(x) ~0ull, (x), (x)
#define S(x) RULE_OK(HV_STATUS_##x)
/* what both reserved-field rows take */
#define RSVD_TAKEN "Taken: a reserved field the caller set nonzero is refused (nothing delivered) or ignored (SUCCESS, " \
    "delivered exactly as posted, to the connection the other bits name)"

const struct rule rules_post[] = {
    { "post.success", NORMATIVE, PM_IN "'If the message is successfully posted, then it will be queued for delivery to a "
      "virtual processor within the partition associated with the port'; 'Only the first n bytes are actually sent'",
      "a valid post of 64 bytes", RF_NONE, 0, NEVER, S(SUCCESS), 0 },
    { "post.conn_unknown", NORMATIVE, PM "HV_STATUS_INVALID_CONNECTION_ID 'The specified connection ID is invalid.'",
      "a connection id nobody created (0xabcdef)", RF_CONN_ID, RULE_CONN_UNKNOWN, 0xFFFFFF, 1, 0xFFFFFF, S(INVALID_CONNECTION_ID), 0 },
    /* the same rule where a host that compares fewer than 24 bits would take
     * the id for a live one (post_tests.c; the fuzzer's ids are conn_unknown's) */
    { "post.conn_near", NORMATIVE, PM "HV_STATUS_INVALID_CONNECTION_ID 'The specified connection ID is invalid.' with "
      "HV_CONNECTION_ID (online datatypes/hv_connection_id, 6.0b 11.10): the id is bits 23:0",
      "a live connection's id with bits 23:8 changed (xor 0xabcd00): its low byte names the live one", RF_OWN, 0,
      NEVER, S(INVALID_CONNECTION_ID), 0 },
    { "post.conn_zero", READING, "reading: " PM "'The specified connection ID is invalid' with HV_CONNECTION_ID "
      "(online datatypes/hv_connection_id, 6.0b 11.10) 'All connection IDs are unique within a partition', which makes no id "
      "invalid by value. Taken: id 0 names no connection, as no host creates one (Hyper-V's VMBus uses 1 and 4, QEMU's "
      "vmbus-bridge 1, hyperv-testdev the ids this suite asks for)",
      "connection id 0", RF_CONN_ID, 0, ONLY(0), S(INVALID_CONNECTION_ID), 0 },
    /* The two reserved fields of the input, read alike (tests/host/coverage_test.h checks it). */
    { "post.conn_reserved_bits", READING, "reading: HV_CONNECTION_ID (online datatypes/hv_connection_id, 6.0b 11.10) 'The "
      "high 8 bits are reserved and must be zero'; neither " PM "nor 6.0b 3.12's common status codes name a status for a "
      "reserved input field (INVALID_HYPERCALL_INPUT's 'reserved bit' is the hypercall input value's, the control word). "
      RSVD_TAKEN " (refused: INVALID_CONNECTION_ID, 'The specified connection ID is invalid', or INVALID_PARAMETER)",
      "the valid id with bit 24 set", RF_CONN_RSVD, 0x01000000u, 0xFF000000u, 0x01000000u, 0xFF000000u,
      S(SUCCESS) | S(INVALID_CONNECTION_ID) | S(INVALID_PARAMETER), 0 },
    { "post.rsvdz_nonzero", READING, "reading: the online 'HvCallPostMessage' names input offset 4 RsvdZ, 6.0b 11.11 "
      "'Padding (4 bytes)', and 6.0b 3.1 (online 'Hypercall Interface') says 'The values within the padding regions are "
      "ignored by the hypervisor'; " PM "names no status for it. " RSVD_TAKEN " (refused: INVALID_PARAMETER or "
      "INVALID_HYPERCALL_INPUT)",
      "offset 4 (RsvdZ / padding) = 1", RF_RSVDZ, 1, 0xFFFFFFFFu, 1, 0xFFFFFFFFu,
      S(SUCCESS) | S(INVALID_PARAMETER) | S(INVALID_HYPERCALL_INPUT), 0 },
    { "post.type_zero", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The MessageType parameter specifies a value of zero.'",
      "MessageType 0", RF_TYPE, 0, ONLY(0), S(INVALID_PARAMETER), 0 },
    { "post.type_msb", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified message type is set.'",
      "MessageType 0x80000000", RF_TYPE, 0x80000000u, 0xFFFFFFFFu, 0x80000000u, 0xFFFFFFFFu, S(INVALID_PARAMETER), 0 },
    { "post.type_hypervisor_range", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified "
      "message type is set'; 6.0b 11.10 'Guest-initiated messages cannot send messages with a hypervisor message type'",
      "MessageType 0x80000010 (HvMessageTimerExpired)", RF_TYPE, 0x80000010u, 0xFFFFFFFFu, 0x80000001u, 0x800000FFu, S(INVALID_PARAMETER), 0 },
    { "post.type_all_ones", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The most significant bit of the specified message type is set.'",
      "MessageType 0xffffffff", RF_TYPE, 0xFFFFFFFFu, ONLY(0xFFFFFFFFu), S(INVALID_PARAMETER), 0 },
    { "post.type_one", NORMATIVE, PM_IN "'The caller can specify any 32-bit message type whose most significant bit is cleared, "
      "with the exception of zero'; it 'will appear within the message header'",
      "MessageType 1", RF_TYPE, 1, ONLY(1), S(SUCCESS), 0 },
    { "post.type_max", NORMATIVE, PM_IN "'The caller can specify any 32-bit message type whose most significant bit is cleared, "
      "with the exception of zero'", "MessageType 0x7fffffff", RF_TYPE, 0x7FFFFFFFu, ONLY(0x7FFFFFFFu), S(SUCCESS), 0 },
    { "post.payload_0", NORMATIVE, PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      "PayloadSize 0", RF_SIZE, 0, ONLY(0), S(SUCCESS), 0 },
    { "post.payload_1", NORMATIVE, PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      "PayloadSize 1", RF_SIZE, 1, ONLY(1), S(SUCCESS), 0 },
    { "post.payload_239", NORMATIVE, PM_IN "Message 'up to 240 bytes total. Only the first n bytes are actually sent'",
      "PayloadSize 239", RF_SIZE, 239, ONLY(239), S(SUCCESS), 0 },
    { "post.payload_240", NORMATIVE, PM_IN "Message 'up to 240 bytes total'",
      "PayloadSize 240", RF_SIZE, 240, ONLY(240), S(SUCCESS), 0 },
    { "post.payload_241", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      "PayloadSize 241", RF_SIZE, 241, 0xFFFFFFFFu, 241, 0xFFFFFFFFu, S(INVALID_PARAMETER), 0 },
    { "post.payload_256", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      "PayloadSize 256", RF_SIZE, 256, ONLY(256), S(INVALID_PARAMETER), 0 },
    { "post.payload_max", NORMATIVE, PM "HV_STATUS_INVALID_PARAMETER 'The specified payload size exceeds 240 bytes.'",
      "PayloadSize 0xffffffff", RF_SIZE, 0xFFFFFFFFu, ONLY(0xFFFFFFFFu), S(INVALID_PARAMETER), 0 },
    { "post.insufficient_buffers", NORMATIVE, PM "HV_STATUS_INSUFFICIENT_BUFFERS 'The port has no available guest message "
      "buffers'; 6.0b 11.3 (online 'Inter-Partition Communication') 'the hypervisor will allocate sixteen (16) message buffers', "
      "and Reliability and Sequencing: 'Messages successfully posted by a guest have been queued for delivery' and 'Messages "
      "arrive in the order in which they have been successfully posted'; 6.0b 11.10 MessagePending 'indicates whether or not "
      "there are any messages pending in the message queue' and 'may be set ... upon message delivery or at any time "
      "afterwards. The flag should be tested after the message slot has been emptied'",
      "posts while the slot stays full, until refused; then each accepted message once, in order, MessagePending set "
      "while more are queued", RF_OWN, 0, NEVER, S(INSUFFICIENT_BUFFERS), 0 },
    { "post.synic_disabled", NORMATIVE, PM "HV_STATUS_INVALID_SYNIC_STATE 'The target VP's SynIC is disabled and cannot "
      "accept posted messages.'", "SCONTROL = 0 on the target VP", RF_SYNIC, SYNIC_SCONTROL_OFF, ONLY(SYNIC_SCONTROL_OFF),
      S(INVALID_SYNIC_STATE), 0 },
    { "post.simp_disabled", NORMATIVE, PM "HV_STATUS_INVALID_SYNIC_STATE 'The target VP's SIM page is disabled.'",
      "SIMP enable bit clear on the target VP", RF_SYNIC, SYNIC_SIMP_OFF, ONLY(SYNIC_SIMP_OFF), S(INVALID_SYNIC_STATE), 0 },
    { "post.port_not_message", NORMATIVE, PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified connection "
      "is not a \"message\" type port.'", "a connection to an event port", RF_OWN, 0, NEVER, S(INVALID_PORT_ID), 0 },
    { "post.port_deleted", NORMATIVE, PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified connection has "
      "been deleted.'", "a connection whose port was deleted", RF_OWN, 0, NEVER, S(INVALID_PORT_ID), 0 },
    { "post.port_partition_inactive", NORMATIVE, PM "HV_STATUS_INVALID_PORT_ID 'The port associated with the specified "
      "connection belongs to a partition that is not in the \"active\" state.'", "a port of an inactive partition",
      RF_OWN, 0, NEVER, S(INVALID_PORT_ID), 0 },
    { "post.vp_index_missing", NORMATIVE, PM "HV_STATUS_INVALID_VP_INDEX 'The target VP no longer exists or there are no "
      "available VPs to which the message can be posted.'", "a connection to a VP index the partition doesn't have",
      RF_OWN, 0, NEVER, S(INVALID_VP_INDEX), 0 },
    { "post.access_denied", NORMATIVE, PM "HV_STATUS_ACCESS_DENIED 'The caller's partition does not possess the "
      "PostMessages privilege.'", "a partition without PostMessages", RF_OWN, 0, NEVER, S(ACCESS_DENIED), 0 },
};
const int rules_post_count = (int)(sizeof rules_post / sizeof rules_post[0]);

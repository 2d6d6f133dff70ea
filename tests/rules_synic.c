/* Rule table, part 3: what the receiver of a posted message sees - the
 * SynIC chapter (TLFS 6.0b chapter 11, online 'Inter-Partition
 * Communication') - and posting across VPs. Each row is a test with its own
 * steps (deliver_tests.c, queue_tests.c, synic_tests.c, smp_tests.c,
 * post_tests.c, abi_tests.c). New rows go at the end: fuzz.post's replays
 * name rows by index. */
#include "rules.h"
#include "../harness/test.h"
#include "../hv/tlfs.h"

#define IPC "TLFS online 'Inter-Partition Communication' "
#define MSG IPC "(SynIC Messages), 6.0b 11.4 Messages: "
#define MSRS IPC "(SynIC MSRs), 6.0b 11.8 SynIC MSRs: "
/* A row of a test with its own steps: no class, no status (its steps say what it allows). */
#define OWN(name_, kind_, source_, what_) \
    { .name = name_, .kind = kind_, .source = source_, .what = what_, .field = RF_OWN, RULE_NEVER }

const struct rule rules_synic[] = {
    OWN("synic.deliver_one", NORMATIVE, MSG "'the hypervisor dequeues the message buffer and copies its contents to the "
        "message slot within the SIM page ... also attempts to generate an edge-triggered interrupt for the specified SINTx'",
        "one message: slot and interrupt"),
    OWN("synic.eom_read", NORMATIVE, MSRS "EOM Register: 'Reads from the EOM register always returns zeros.'",
        "rdmsr HV_X64_MSR_EOM"),
    OWN("synic.eom_empty", NORMATIVE, MSRS "EOM Register: 'If the message queues are all empty, a write to the EOM "
        "register is a no-op.'", "EOM written with nothing queued: no message, no interrupt"),
    OWN("synic.sint_vector_low", NORMATIVE, MSRS "SINTx Registers: 'Valid values for vector are 16-255 inclusive. "
        "Specifying an invalid vector number results in #GP.'", "an unmasked SINT with vector 15"),
    OWN("deliver.interrupt", NORMATIVE, MSG "'The hypervisor also attempts to generate an edge-triggered interrupt for the "
        "specified SINTx'", "an unmasked SINT: one interrupt on its vector"),
    OWN("deliver.masked_sint", NORMATIVE, MSG "'If the APIC is software disabled or the SINTx is masked, the interrupt is "
        "lost'; the message is still copied to the slot", "a masked SINT: the message, no interrupt"),
    OWN("deliver.unmask_no_irq", NORMATIVE, MSG "'If the APIC is software disabled or the SINTx is masked, the interrupt "
        "is lost.'", "a message to a masked SINT, then unmasking: no interrupt"),
    OWN("deliver.polling", NORMATIVE, MSRS "SINTx Registers: 'Setting the polling bit will have the effect of unmasking an "
        "interrupt source, except that an actual interrupt is not generated.'", "SINT with Polling set: message, no interrupt"),
    OWN("deliver.auto_eoi", NORMATIVE, MSRS "SINTx Registers: AutoEOI 'the hypervisor will automatically clear the "
        "corresponding flag in the \"in-service register\" (ISR) of the virtual APIC'", "AutoEOI: ISR bit clear in the handler"),
    OWN("deliver.independent_sints", NORMATIVE, MSG "'SINTx is ... specified by a port ID (in the case of guest messages)'; "
        "6.0b 11.9 'Each array element (also known as a message slot) corresponds to a single synthetic interrupt source'",
        "two connections to two SINTs: each its own slot and vector"),
    OWN("deliver.port_field", READING, "reading: " IPC "(SynIC Message Format), 6.0b 11.10: 'Messages that are sent in "
        "response to HvPostMessage contain the port ID'; 6.0b 11.10 Ports: 'All port IDs are unique within a partition.' "
        "Taken: the host helper's two connections lead to two ports (a guest can't see which port a connection leads to)",
        "two connections to two ports on one SINT: the header's Port differs, and is stable per port"),
    OWN("deliver.stale_bytes", READING, "reading: TLFS online 'HvCallPostMessage' (Input Parameters), 6.0b 11.11 "
        "HvPostMessage: 'Only the first n bytes are actually sent', and 6.0b 11.9 gives the slot 240 payload bytes. Taken: "
        "the slot's bytes beyond PayloadSize carry nothing of an earlier message", "200 bytes, then 8 through the same "
        "connection: slot bytes 8..199 are not the first message's"),
    OWN("deliver.eoi_redelivery", NORMATIVE, MSG "queued messages stay queued 'until one of three events occur: ... The guest "
        "indicates the \"end of interrupt\" by writing to the APIC's EOI register'", "a queued message delivered after an APIC EOI alone, no EOM"),
    OWN("deliver.pending_clear", NORMATIVE, IPC "(SynIC Message Flags), 6.0b 11.10: 'The MessagePending flag indicates "
        "whether or not there are any messages pending in the message queue of the synthetic interrupt source'",
        "one message, nothing queued behind it: MessagePending clear"),
    OWN("deliver.simp_reenable", NORMATIVE, MSG "'If the SIM page is disabled or the message slot within the SIM page is not "
        "empty, the message remains queued'; 6.0b 11.3 'Partitions may disable delivery of messages ... by ... disabling the "
        "SIMP' and 'Messages successfully posted by a guest have been queued for delivery'",
        "a message queued behind a full slot survives SIMP disable and re-enable"),
    OWN("deliver.eom_all_ports", NORMATIVE, IPC "(Message Buffer Queues), 6.0b 11.3: 'the hypervisor maintains one queue of "
        "message buffers for each SINTx'; " MSRS "EOM Register: 'A write to the end of message (EOM) register by the guest "
        "causes the hypervisor to scan the internal message buffer queue(s) associated with the virtual processor. If a message "
        "buffer queue contains a queued message buffer, the hypervisor attempts to deliver the message.' and 'Message delivery "
        "succeeds if the SIM page is enabled and the message slot corresponding to the SINTx is empty'",
        "two connections (ports) to one SINT: each one's message queued behind the other's, slot emptied, EOM"),
    OWN("deliver.conn_broken", NORMATIVE, IPC "(Reliability and Sequencing of Guest Message Buffers), 6.0b 11.3: 'Breaking a "
        "connection will not affect undelivered (queued) messages.'",
        "the connection broken while its message is queued behind a full slot, then slot emptied and EOM"),
    OWN("deliver.pending_set", NORMATIVE, IPC "(SynIC Message Flags), 6.0b 11.10: 'The MessagePending flag indicates whether or "
        "not there are any messages pending in the message queue of the synthetic interrupt source ... this flag may be set by "
        "the hypervisor upon message delivery or at any time afterwards. The flag should be tested after the message slot has "
        "been emptied'", "a message queued behind a full slot: MessagePending once the slot is emptied"),
    OWN("deliver.eom_interrupt", NORMATIVE, MSRS "EOM Register: 'If a message is successfully delivered ... If the corresponding "
        "SINTx is not masked, an edge-triggered interrupt is delivered (that is, the corresponding bit in the IRR is set).'",
        "a queued message delivered by EOM to an unmasked SINT: its interrupt"),
    OWN("deliver.post_trigger", NORMATIVE, MSG "queued messages stay queued 'until one of three events occur: Another message "
        "buffer is queued. ... In all three cases, the hypervisor will scan one or more message buffer queues and attempt to "
        "deliver additional messages.'", "slot emptied without EOM or EOI, then another post: the queued message arrives"),
    OWN("deliver.scontrol_off", NORMATIVE, MSRS "SCONTROL Register: Enable 'When clear, message queuing and event flag "
        "notifications cannot be directed to this virtual processor'; 6.0b 11.3 'Partitions may disable delivery of messages "
        "to particular virtual processors by either disabling its SynIC or disabling the SIMP' and 'Messages successfully "
        "posted by a guest have been queued for delivery'",
        "SCONTROL cleared with a message queued: nothing delivered until it is set again, then the message"),
    OWN("deliver.simp_off_queued", NORMATIVE, MSRS "EOM Register: 'Message delivery succeeds if the SIM page is enabled and the "
        "message slot corresponding to the SINTx is empty'; " MSG "'If the SIM page is disabled ... the message remains queued'",
        "the SIM page disabled with a message queued, its GPA's slot empty, EOM: nothing written there"),
    OWN("deliver.apic_disabled", NORMATIVE, MSG "'If the APIC is software disabled or the SINTx is masked, the interrupt is "
        "lost.'", "APIC software-disabled: the message lands, no interrupt then or after the APIC is enabled again"),
    OWN("deliver.single_sender_order", NORMATIVE, IPC "(Reliability and Sequencing of Guest Message Buffers), 6.0b 11.3: "
        "'If the receiving port is associated with a specific virtual processor, then messages will arrive in the same order "
        "in which they were posted.'", "one VP posts numbered messages, retrying INSUFFICIENT_BUFFERS: each once, in order"),
    OWN("post.buffer_count", READING, "reading: " IPC "(Message Buffers), 6.0b 11.3: 'When a port is created, the hypervisor "
        "will allocate sixteen (16) message buffers'; 11.8 EOM: 'If a message is successfully delivered, its corresponding "
        "internal message buffer is dequeued and marked free'. Taken: with the slot full, the port holds 16 queued messages "
        "(17 posts counting the one in the slot) and refuses the next with HV_STATUS_INSUFFICIENT_BUFFERS",
        "posts accepted behind a full slot"),
    OWN("deliver.vmbus_contact", READING, "reading: not a TLFS rule; the VMBus protocol (Linux drivers/hv/connection.c "
        "vmbus_negotiate_version, QEMU hw/hyperv/vmbus.c): INITIATE_CONTACT posted to message connection 1 is answered by "
        "VERSION_RESPONSE in SINT 2's slot", "INITIATE_CONTACT to VMBus connection 1"),
    OWN("smp.vp_index", READING, "reading: TLFS 6.0b 7.2 'A virtual processor is identified by a tuple composed of its "
        "partition ID and its processor index' (so indexes are distinct) and 7.8.1 'A virtual processor index must be less "
        "than the maximum number of virtual processors per partition'. Taken: VPs are numbered 0..n-1, as Hyper-V, KVM "
        "and Linux's hv_vp_index assume", "each VP's HV_X64_MSR_VP_INDEX distinct and below the VP count"),
    OWN("smp.deliver_vp1", NORMATIVE, "TLFS online 'HvCallPostMessage', 6.0b 11.11: 'queued for delivery to a virtual "
        "processor within the partition associated with the port'; 6.0b 11.4 'The target virtual processor is either "
        "explicitly specified ...'", "a connection to VP 1: VP 1's slot and interrupt, not VP 0's"),
    OWN("smp.synic_disabled_vp1", NORMATIVE, "TLFS online 'HvCallPostMessage', 6.0b 11.11: HV_STATUS_INVALID_SYNIC_STATE "
        "'The target VP's SynIC is disabled'", "VP 1's SCONTROL off while VP 0 still receives"),
    OWN("smp.simp_disabled_vp1", NORMATIVE, "TLFS online 'HvCallPostMessage', 6.0b 11.11: HV_STATUS_INVALID_SYNIC_STATE "
        "'The target VP's SIM page is disabled.'", "VP 1's SIMP off while VP 0 still receives"),
    OWN("smp.vp_missing", NORMATIVE, "TLFS online 'HvCallPostMessage', 6.0b 11.11: HV_STATUS_INVALID_VP_INDEX 'The target VP "
        "no longer exists'", "a connection whose VP was removed"),
    OWN("smp.concurrent_posts", NORMATIVE, MSG "Reliability and Sequencing (6.0b 11.3): 'Messages arrive in the order in "
        "which they have been successfully posted. If the receiving port is associated with a specific virtual processor, "
        "then messages will arrive in the same order in which they were posted.'",
        "two VPs post to one slot: each accepted message once, per-sender order"),
    OWN("abi.guest_os_id_zero", NORMATIVE, "TLFS online 'Hypercall Interface' (Establishing the Hypercall Interface), "
        "6.0b 3.13: 'if the guest OS identity is cleared to zero after the hypercall page has been enabled, it will become "
        "disabled'; 6.0b 2.6 'If this register is subsequently zeroed, the hypercall code page will be disabled.'",
        "GUEST_OS_ID written 0: HV_X64_MSR_HYPERCALL's enable bit clears"),
    OWN("abi.hypercall_enable_no_os_id", NORMATIVE, "TLFS online 'Hypercall Interface' (Establishing the Hypercall "
        "Interface), 6.0b 3.13: 'If no guest OS identity has been specified, attempts to enable the hypercall will fail. The "
        "enable bit will remain zero even if a one is written to it.'", "HV_X64_MSR_HYPERCALL enabled with GUEST_OS_ID = 0"),
    OWN("post.access_denied_first", READING, "reading: TLFS online 'Hypercall Interface' (Ordering of Error Conditions): "
        "'The order in which error conditions are detected and reported by the hypervisor is undefined ... Priority should be "
        "given to those error codes offering greater security ... HV_STATUS_ACCESS_DENIED is the preferred status code over "
        "one that would reveal some context or state information purely based upon privilege.' Taken: a partition without "
        "PostMessages gets HV_STATUS_ACCESS_DENIED for each malformed input of the post.* and abi.* rows too",
        "malformed inputs from a partition without PostMessages"),
    OWN("abi.gpa_not_ram", READING, "reading: TLFS online 'Hypercall Interface' (Alignment Requirements), 6.0b 3.6: 'The "
        "hypervisor will validate that the calling partition can read from the input page before executing the requested "
        "hypercall. This validation consists of two checks: the specified GPA is mapped and the GPA is marked readable. If "
        "either of these tests fails, the hypervisor generates a memory intercept message.' What the caller then sees is the "
        "intercept handler's. Taken: an input GPA with no RAM behind it (unmapped, or MMIO) posts nothing: a refusal (any "
        "status but SUCCESS) or a fault", "input GPA in the GPA space's last page (unmapped), then in the local APIC's MMIO "
        "page, each after a valid post"),
};
const int rules_synic_count = (int)(sizeof rules_synic / sizeof rules_synic[0]);

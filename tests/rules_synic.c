/* Rule table, part 3: what the receiver of a posted message sees - the
 * SynIC chapter (TLFS 6.0b chapter 11, online 'Inter-Partition
 * Communication') - and posting across VPs. Each row is a test with its own
 * steps (deliver_tests.c, synic_tests.c, smp_tests.c, post_tests.c). */
#include "rules.h"
#include "test.h"
#include "../hv/tlfs.h"

#define IPC "TLFS online 'Inter-Partition Communication' "
#define MSG IPC "(SynIC Messages), 6.0b 11.4 Messages: "
#define MSRS IPC "(SynIC MSRs), 6.0b 11.8 SynIC MSRs: "
#define OWN(name, kind, source, what) { name, kind, source, what, RF_OWN, 0, 0, 1, 0, 0, 0 }

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
};
const int rules_synic_count = (int)(sizeof rules_synic / sizeof rules_synic[0]);

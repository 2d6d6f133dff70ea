/* Hyper-V definitions from the Hypervisor Top-Level Functional Specification
 * (TLFS 6.0b): CPUID leaves, synthetic MSRs, the hypercall control word and
 * result, status codes, the SynIC message layout. Names follow the TLFS. */
#ifndef HV_TLFS_H
#define HV_TLFS_H
#include <stdint.h>

/* CPUID leaves */
#define HV_CPUID_VENDOR_AND_MAX     0x40000000u
#define HV_CPUID_INTERFACE          0x40000001u   /* EAX = "Hv#1" */
#define HV_CPUID_VERSION            0x40000002u
#define HV_CPUID_FEATURES           0x40000003u   /* EAX/EBX privileges, EDX features */
#define HV_CPUID_ENLIGHTENMENT_INFO 0x40000004u
#define HV_CPUID_IMPLEMENT_LIMITS   0x40000005u
#define HV_CPUID_HW_FEATURES        0x40000006u
#define HV_CPUID_NESTED_FEATURES    0x4000000Au
#define HV_CPUID_KVM_BASE           0x40000100u   /* KVM's own signature when it also offers Hyper-V */
#define HV_INTERFACE_HV1            0x31237648u   /* "Hv#1" */

/* CPUID 0x40000003 EAX: partition privileges, low half (MSR access) */
#define HV_ACCESS_VP_RUNTIME        (1u << 0)
#define HV_ACCESS_PARTITION_REF_CNT (1u << 1)
#define HV_ACCESS_SYNIC_REGS        (1u << 2)
#define HV_ACCESS_SYNTIMER_REGS     (1u << 3)
#define HV_ACCESS_INTR_CTRL_REGS    (1u << 4)
#define HV_ACCESS_HYPERCALL_MSRS    (1u << 5)
#define HV_ACCESS_VP_INDEX          (1u << 6)
#define HV_ACCESS_RESET_REG         (1u << 7)
#define HV_ACCESS_STATS_REG         (1u << 8)
#define HV_ACCESS_PARTITION_REF_TSC (1u << 9)
#define HV_ACCESS_GUEST_IDLE_REG    (1u << 10)
#define HV_ACCESS_FREQUENCY_REGS    (1u << 11)
#define HV_ACCESS_DEBUG_REGS        (1u << 12)
#define HV_ACCESS_REENLIGHTENMENT   (1u << 13)
/* CPUID 0x40000003 EDX: features. Bit 8: the frequency MSRs exist (Linux
 * HV_FEATURE_FREQUENCY_MSRS_AVAILABLE, checked together with EAX bit 11 in
 * arch/x86/kernel/cpu/mshyperv.c). */
#define HV_FEATURE_FREQUENCY_MSRS_AVAILABLE (1u << 8)
/* CPUID 0x40000003 EBX: partition privileges, high half (hypercalls) */
#define HV_CREATE_PARTITIONS        (1u << 0)
#define HV_ACCESS_PARTITION_ID      (1u << 1)
#define HV_ACCESS_MEMORY_POOL       (1u << 2)
#define HV_POST_MESSAGES            (1u << 4)
#define HV_SIGNAL_EVENTS            (1u << 5)
#define HV_CREATE_PORT              (1u << 6)
#define HV_CONNECT_PORT             (1u << 7)
#define HV_ACCESS_STATS             (1u << 8)
#define HV_DEBUGGING                (1u << 11)
#define HV_CPU_MANAGEMENT           (1u << 12)
#define HV_ACCESS_VSM               (1u << 16)
#define HV_ACCESS_VP_REGISTERS      (1u << 17)
#define HV_ENABLE_EXTENDED_HYPERCALLS (1u << 20)
#define HV_START_VIRTUAL_PROCESSOR  (1u << 21)

/* Synthetic MSRs */
#define HV_X64_MSR_GUEST_OS_ID      0x40000000u
#define HV_X64_MSR_HYPERCALL        0x40000001u
#define HV_X64_MSR_VP_INDEX         0x40000002u
#define HV_X64_MSR_RESET            0x40000003u
#define HV_X64_MSR_VP_RUNTIME       0x40000010u
#define HV_X64_MSR_TIME_REF_COUNT   0x40000020u
#define HV_X64_MSR_REFERENCE_TSC    0x40000021u
#define HV_X64_MSR_TSC_FREQUENCY    0x40000022u
#define HV_X64_MSR_APIC_FREQUENCY   0x40000023u
#define HV_X64_MSR_SCONTROL         0x40000080u
#define HV_X64_MSR_SVERSION         0x40000081u
#define HV_X64_MSR_SIEFP            0x40000082u
#define HV_X64_MSR_SIMP             0x40000083u
#define HV_X64_MSR_EOM              0x40000084u
#define HV_X64_MSR_SINT0            0x40000090u   /* SINT0..SINT15 */

#define HV_HYPERCALL_ENABLE         (1ull << 0)
#define HV_HYPERCALL_LOCKED         (1ull << 1)
#define HV_SCONTROL_ENABLE          (1ull << 0)
#define HV_SIMP_ENABLE              (1ull << 0)
#define HV_SIEFP_ENABLE             (1ull << 0)
#define HV_SINT_VECTOR_MASK         0xFFull
#define HV_SINT_MASKED              (1ull << 16)
#define HV_SINT_AUTO_EOI            (1ull << 17)
#define HV_SINT_POLLING             (1ull << 18)
#define HV_SINT_COUNT               16
#define HV_SINT_MIN_VECTOR          16            /* lower vectors are not delivered */

/* Guest OS ID, open-source encoding: bit 63 set, OS type 62:56 (0 =
 * undefined), version 55:48, build 15:0. */
#define HV_GUEST_OS_ID_HVCONFORM    ((1ull << 63) | (0x01ull << 48) | 0x0001ull)

/* Hypercall input control word */
#define HV_HC_CODE_MASK             0xFFFFull
#define HV_HC_FAST                  (1ull << 16)
#define HV_HC_VARHEAD_SHIFT         17            /* 10 bits, 8-byte units */
#define HV_HC_RSVD_27_30            (0xFull << 27)
#define HV_HC_NESTED                (1ull << 31)
#define HV_HC_REP_COUNT_SHIFT       32            /* 12 bits */
#define HV_HC_RSVD_44_47            (0xFull << 44)
#define HV_HC_REP_START_SHIFT       48            /* 12 bits */
#define HV_HC_RSVD_60_63            (0xFull << 60)
/* Hypercall result value */
#define HV_RESULT_STATUS(r)         ((uint16_t)((r) & 0xFFFF))
#define HV_RESULT_REPS_DONE(r)      ((uint32_t)(((r) >> 32) & 0xFFF))

/* Call codes */
#define HVCALL_POST_MESSAGE         0x005C
#define HVCALL_SIGNAL_EVENT         0x005D
#define HVCALL_UNKNOWN_PROBE        0x0FFF        /* not assigned by the TLFS */

/* HV_STATUS */
#define HV_STATUS_SUCCESS                   0x0000
#define HV_STATUS_INVALID_HYPERCALL_CODE    0x0002
#define HV_STATUS_INVALID_HYPERCALL_INPUT   0x0003
#define HV_STATUS_INVALID_ALIGNMENT         0x0004
#define HV_STATUS_INVALID_PARAMETER         0x0005
#define HV_STATUS_ACCESS_DENIED             0x0006
#define HV_STATUS_INVALID_PARTITION_STATE   0x0007
#define HV_STATUS_OPERATION_DENIED          0x0008
#define HV_STATUS_UNKNOWN_PROPERTY          0x0009
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE 0x000A
#define HV_STATUS_INSUFFICIENT_MEMORY       0x000B
#define HV_STATUS_PARTITION_TOO_DEEP        0x000C
#define HV_STATUS_INVALID_PARTITION_ID      0x000D
#define HV_STATUS_INVALID_VP_INDEX          0x000E
#define HV_STATUS_NOT_FOUND                 0x0010
#define HV_STATUS_INVALID_PORT_ID           0x0011
#define HV_STATUS_INVALID_CONNECTION_ID     0x0012
#define HV_STATUS_INSUFFICIENT_BUFFERS      0x0013
#define HV_STATUS_NOT_ACKNOWLEDGED          0x0014
#define HV_STATUS_INVALID_VP_STATE          0x0015
#define HV_STATUS_ACKNOWLEDGED              0x0016
#define HV_STATUS_INVALID_SAVE_RESTORE_STATE 0x0017
#define HV_STATUS_INVALID_SYNIC_STATE       0x0018
#define HV_STATUS_OBJECT_IN_USE             0x0019
#define HV_STATUS_INVALID_PROXIMITY_DOMAIN_INFO 0x001A
#define HV_STATUS_NO_DATA                   0x001B
#define HV_STATUS_INACTIVE                  0x001C
#define HV_STATUS_NO_RESOURCES              0x001D
#define HV_STATUS_FEATURE_UNAVAILABLE       0x001E
#define HV_STATUS_PARTIAL_PACKET            0x001F
#define HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED 0x0020
#define HV_STATUS_INSUFFICIENT_BUFFER       0x0033
#define HV_STATUS_INVALID_REGISTER_VALUE    0x0050

const char *hv_status_name(uint16_t status);

/* HV_CONNECTION_ID: a 24-bit Id, bits 31:24 reserved. */
#define HV_CONNECTION_ID_MASK       0x00FFFFFFu

/* HV_MESSAGE_TYPE: 0 is HvMessageTypeNone (an empty slot); types with bit
 * 31 set are the hypervisor's own (0x80000000 and up). */
#define HV_MESSAGE_TYPE_NONE        0x00000000u
#define HV_MESSAGE_TYPE_HYPERVISOR  0x80000000u
#define HV_MESSAGE_PAYLOAD_MAX      240
#define HV_MESSAGE_FLAG_PENDING     0x01

/* HvCallPostMessage input (spec table: 256 bytes, 8-byte aligned) */
struct hv_post_message_input {
    uint32_t connection_id;
    uint32_t rsvdz;
    uint32_t message_type;
    uint32_t payload_size;
    uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));

/* HV_MESSAGE: the SIM page holds one per SINT */
struct hv_message_header {
    uint32_t message_type;
    uint8_t payload_size;
    uint8_t message_flags;      /* bit 0: MessagePending */
    uint8_t reserved[2];
    uint64_t origin;            /* sender's partition id or port id */
} __attribute__((packed));

struct hv_message {
    struct hv_message_header header;
    uint8_t payload[HV_MESSAGE_PAYLOAD_MAX];
} __attribute__((packed));

struct hv_message_page {
    volatile struct hv_message slot[HV_SINT_COUNT];
};

_Static_assert(sizeof(struct hv_post_message_input) == 256, "PostMessage input is 256 bytes");
_Static_assert(sizeof(struct hv_message) == 256, "HV_MESSAGE is 256 bytes");
_Static_assert(sizeof(struct hv_message_page) == 4096, "SIM page is one page");

#endif

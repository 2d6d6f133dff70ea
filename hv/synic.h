/* The synthetic interrupt controller of each VP: SCONTROL, the SIM and SIEF
 * pages, SINTx, EOM, and an interrupt handler that records every SINT
 * delivery so a test can wait for one with a timeout. Every function acts on
 * the SynIC of the VP it runs on (per-VP pages and records). */
#ifndef HV_SYNIC_H
#define HV_SYNIC_H
#include <stdint.h>
#include "tlfs.h"

#define SINT_VECTOR(s) (0x50 + (s))

#include "../kernel/percpu.h"

extern struct hv_message_page hv_simp_pages[MAX_CPUS];
extern uint8_t hv_siefp_pages[MAX_CPUS][4096];
/* the boot VP's, which most tests use */
#define hv_simp_page (hv_simp_pages[0])
#define hv_siefp_page (hv_siefp_pages[0])

struct sint_record {
    volatile uint32_t count;
    volatile uint64_t last_tsc;
    volatile int in_service;    /* the vector's ISR bit was set inside the handler */
};
extern struct sint_record sint_records_vp[MAX_CPUS][HV_SINT_COUNT];
#define sint_records (sint_records_vp[0])

/* Messages the harness took from a slot where no test was waiting for one
 * (synic_drain, synic_take_strays, the helper's flush): per VP, how many
 * and the first one's place and header. The caller (the suite) reads and
 * clears them. */
struct synic_stray { uint32_t count; int sint; uint32_t type, size; };
extern struct synic_stray synic_strays[MAX_CPUS];
/* Record the message in this VP's slot `sint` as a stray. */
void synic_note_stray(int sint);
/* Each non-empty slot of this VP: recorded as a stray, emptied, EOM. */
void synic_take_strays(void);

/* Installs the handlers; call once after hv_detect. */
void synic_init(void);
/* Known state: SCONTROL enabled, SIMP/SIEFP enabled on zeroed pages, every
 * SINT masked, EOM written, records cleared, interrupts off. */
void synic_reset(void);
/* Empty the slots and let queued messages arrive (bounded, 100 ms); every
 * message found is a stray (synic_note_stray). */
void synic_drain(void);
void synic_sint_set(int sint, int vector, int masked, int auto_eoi);
void synic_eom(void);
/* Slot emptied (type = None), then, if the hypervisor flagged a pending
 * message (read after the slot is free, the TLFS order), EOM so it can
 * deliver the next one. Returns that flag. */
int synic_clear_slot(int sint);
/* Bounded waits. Each returns 1 when the event happened in time. */
int synic_wait_message(int sint, uint64_t timeout_us);
int synic_wait_irq(int sint, uint32_t count_before, uint64_t timeout_us);

#endif

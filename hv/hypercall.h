/* Hypercalls: guest OS ID, the hypercall page, and calls through it with the
 * x64 convention (RCX control, RDX input GPA, R8 output GPA, RAX result), or
 * raw (vmcall/vmmcall issued directly) so tests can compare. The input and
 * output pages are the harness's: identity-mapped, so GPA == address. */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H
#include <stdint.h>

#define HV_PAGE 4096

/* Two contiguous input pages, so a test can make input cross a boundary. */
extern uint8_t hv_input_pages[2 * HV_PAGE];
extern uint8_t hv_output_page[HV_PAGE];
extern uint8_t hv_hypercall_page[HV_PAGE];
/* The page hv_call() calls: hv_hypercall_page, or the one a locked
 * HV_X64_MSR_HYPERCALL points at. */
extern uint8_t *hv_hypercall_code;

/* Sets GUEST_OS_ID and enables the page (poisoned with `ret` first, like
 * XTF, so a page the hypervisor never overlaid is detectable). Returns 0 or
 * a message. A locked MSR (firmware) is left alone and its page used. */
const char *hv_hypercall_enable(void);
/* HV_X64_MSR_HYPERCALL as the first hv_hypercall_enable() found it. */
uint64_t hv_hypercall_msr_at_boot(void);
int hv_hypercall_locked(void);
/* No-op when locked. */
void hv_hypercall_disable(void);
int hv_hypercall_enabled(void);
/* Bytes of the page the hypervisor changed (0 = never overlaid). */
int hv_hypercall_page_overlaid(void);

/* RAX before the call: a status of 0xFFFF means nothing wrote RAX (the page
 * returned without making a hypercall). */
#define HV_CALL_SENTINEL 0xFFFFFFFFFFFFFFFFull

uint64_t hv_call(uint64_t control, uint64_t input_gpa, uint64_t output_gpa);
uint64_t hv_call_raw(uint64_t control, uint64_t input_gpa, uint64_t output_gpa);
/* Zero both pages; the caller then fills its input. */
void hv_clear_io_pages(void);

#endif

/* Rule table, part 2: the TLFS's general hypercall rules as they apply to
 * HvCallPostMessage (TLFS 6.0b chapter 3, online 'Hypercall Interface'). */
#include "rules.h"
#include "../harness/test.h"
#include "../hv/tlfs.h"

#define HI "TLFS online 'Hypercall Interface' "
#define COMMON HI "(Hypercall Status Codes), 6.0b 3.12 Common Hypercall Status Codes: "
#define NEVER 0, 1, 0
#define ONLY(x) ~0ull, (x), (x)
#define BITS(m) (m), 1, (m)                 /* any of the bits of m set */
#define S(x) RULE_OK(HV_STATUS_##x)

const struct rule rules_abi[] = {
    { "abi.align_1", NORMATIVE, COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'; 6.0b 3.6 'GPA pointers must by 8-byte aligned'", "input GPA 8n+1",
      RF_INPUT_GPA, 1, 1, 1, 1, S(INVALID_ALIGNMENT), 0 },
    { "abi.align_2", NORMATIVE, COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'", "input GPA 8n+2", RF_INPUT_GPA, 2, 3, 2, 2, S(INVALID_ALIGNMENT), 0 },
    { "abi.align_4", NORMATIVE, COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'", "input GPA 8n+4", RF_INPUT_GPA, 4, 7, 4, 4, S(INVALID_ALIGNMENT), 0 },
    { "abi.cross_page", NORMATIVE, COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output parameter lists "
      "spans pages'", "256-byte input starting 128 bytes before a page end", RF_INPUT_SPAN, 0xF80, 0xFFF, 0xF01, 0xFFF,
      S(INVALID_ALIGNMENT), 0 },
    { "abi.gpa_outside", NORMATIVE, COMMON "HV_STATUS_INVALID_ALIGNMENT 'The input or output GPA pointer is not within the "
      "bounds of the GPA space'", "input GPA 1 << MAXPHYADDR", RF_GPA_OUTSIDE, 1, ONLY(1), S(INVALID_ALIGNMENT), 0 },
    { "abi.rep_count", NORMATIVE, COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'a non-zero rep count is passed to a non-rep "
      "call'", "rep count 1 on a simple call", RF_CONTROL, 1ull << HV_HC_REP_COUNT_SHIFT,
      BITS(0xFFFull << HV_HC_REP_COUNT_SHIFT), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.rep_start", NORMATIVE, COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'The rep start index is not less than the rep "
      "count'", "rep start 1, rep count 0", RF_CONTROL, 1ull << HV_HC_REP_START_SHIFT,
      BITS(0xFFFull << HV_HC_REP_START_SHIFT), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.rsvd_27_30", NORMATIVE, COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 30:27 RsvdZ online; 6.0b 3.7: 31:27)", "control bits 27-30 set",
      RF_CONTROL, HV_HC_RSVD_27_30, BITS(HV_HC_RSVD_27_30), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.rsvd_44_47", NORMATIVE, COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 47:44)", "control bits 44-47 set",
      RF_CONTROL, HV_HC_RSVD_44_47, BITS(HV_HC_RSVD_44_47), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.rsvd_60_63", NORMATIVE, COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 63:60)", "control bits 60-63 set",
      RF_CONTROL, HV_HC_RSVD_60_63, BITS(HV_HC_RSVD_60_63), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.varhead", NORMATIVE, HI "(Variable Sized Hypercall Input Headers), 6.0b 3.7.1: 'It is illegal to specify a "
      "non-zero variable header size for a hypercall that is not explicitly documented as accepting variable sized input "
      "headers. In such a case the hypercall will result in a return code of HV_STATUS_INVALID_HYPERCALL_INPUT.'",
      "variable header size 1", RF_CONTROL, 1ull << HV_HC_VARHEAD_SHIFT, BITS(0x1FFull << HV_HC_VARHEAD_SHIFT),
      S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.fast", READING, "reading: " HI "/ 6.0b 3.7: Fast 'Specifies whether the hypercall uses the register-based "
      "calling convention'; HvCallPostMessage is 'Call Code 0x005C (Simple)' with a 256-byte memory input, and the TLFS "
      "names no status for a register form a call lacks. Taken: refused with INVALID_HYPERCALL_INPUT ('The hypercall "
      "input value has an invalid encoding': the input value asks for what the call doesn't have), nothing delivered; "
      "not INVALID_HYPERCALL_CODE, whose condition ('The hypercall code is not recognized') is false for 0x005C",
      "the fast bit", RF_CONTROL, HV_HC_FAST, BITS(HV_HC_FAST), S(INVALID_HYPERCALL_INPUT), 0 },
    { "abi.output_ignored", NORMATIVE, HI "(Alignment Requirements), 6.0b 3.6: 'If the hypercall involves no input or "
      "output parameters, the hypervisor ignores the corresponding GPA pointer'; HvCallPostMessage has no output",
      "output GPA 0xfffffffffffff001", RF_OUTPUT_GPA, 0xFFFFFFFFFFFFF001ull, ONLY(1), S(SUCCESS), 0 },
    { "abi.cpl3", NORMATIVE, HI "(Legal Hypercall Environments), 6.0b 3.5: 'Hypercalls can be invoked only from the most "
      "privileged guest processor mode ... An attempt to invoke a hypercall within an illegal processor mode will "
      "generate a #UD'", "the hypercall page called at CPL3", RF_CALL, CALL_CPL3, NEVER, 0, RULE_UD },
    { "abi.page_disabled", READING, "reading: " HI "/ 6.0b 3.13: the hypercall page must be enabled before hypercalls "
      "are made ('Establishing the Hypercall Interface'), and 6.0b 3.5: a hypercall by 'any other means ... might result "
      "in an undefined operation (#UD) exception. The hypervisor is not guaranteed to deliver this exception.' Taken: "
      "with the page disabled a vmcall/vmmcall is #UD or refused (any status but SUCCESS), and posts nothing",
      "vmcall/vmmcall with HV_X64_MSR_HYPERCALL disabled", RF_CALL, CALL_PAGE_DISABLED, NEVER, RULE_ANY_ERROR, RULE_UD },
    { "abi.raw_instruction", READING, "reading: " HI "(Legal Hypercall Environments), 6.0b 3.5: 'An attempt to invoke "
      "a hypercall by any other means ... might result in an undefined operation (#UD) exception. The hypervisor is not "
      "guaranteed to deliver this exception': the TLFS promises nothing else. Taken: a raw vmcall/vmmcall either posts "
      "(SUCCESS, delivered) or raises #UD", "vmcall/vmmcall issued directly", RF_CALL, CALL_RAW, NEVER, S(SUCCESS), RULE_UD },
};
const int rules_abi_count = (int)(sizeof rules_abi / sizeof rules_abi[0]);

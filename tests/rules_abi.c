/* Rule table, part 2: the TLFS's general hypercall rules as they apply to
 * HvCallPostMessage (TLFS 6.0b chapter 3, online 'Hypercall Interface'). */
#include "rules.h"
#include "../harness/test.h"
#include "../hv/tlfs.h"

#define HI "TLFS online 'Hypercall Interface' "
#define COMMON HI "(Hypercall Status Codes), 6.0b 3.12 Common Hypercall Status Codes: "
#define S(x) RULE_OK(HV_STATUS_##x)

const struct rule rules_abi[] = {
    { .name = "abi.align_1", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'; 6.0b 3.6 'GPA pointers must by 8-byte aligned'",
      .what = "input GPA 8n+1",
      .field = RF_INPUT_GPA, .value = 1, .mask = 1, .lo = 1, .hi = 1, .ok = S(INVALID_ALIGNMENT) },
    { .name = "abi.align_2", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'",
      .what = "input GPA 8n+2",
      .field = RF_INPUT_GPA, .value = 2, .mask = 3, .lo = 2, .hi = 2, .ok = S(INVALID_ALIGNMENT) },
    { .name = "abi.align_4", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output GPA pointer is not "
      "aligned to 8 bytes'",
      .what = "input GPA 8n+4",
      .field = RF_INPUT_GPA, .value = 4, .mask = 7, .lo = 4, .hi = 4, .ok = S(INVALID_ALIGNMENT) },
    { .name = "abi.cross_page", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_ALIGNMENT 'The specified input or output parameter lists "
      "spans pages'",
      .what = "256-byte input starting 128 bytes before a page end",
      .field = RF_INPUT_SPAN, .value = 0xF80, .mask = 0xFFF, .lo = 0xF01, .hi = 0xFFF, .ok = S(INVALID_ALIGNMENT) },
    { .name = "abi.gpa_outside", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_ALIGNMENT 'The input or output GPA pointer is not within the "
      "bounds of the GPA space'",
      .what = "input GPA 1 << MAXPHYADDR",
      .field = RF_GPA_OUTSIDE, .value = 1, RULE_ONLY(1), .ok = S(INVALID_ALIGNMENT) },
    { .name = "abi.rep_count", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'a non-zero rep count is passed to a non-rep "
      "call'",
      .what = "rep count 1 on a simple call",
      .field = RF_CONTROL, .value = 1ull << HV_HC_REP_COUNT_SHIFT, RULE_BITS(0xFFFull << HV_HC_REP_COUNT_SHIFT),
      .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.rep_start", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'The rep start index is not less than the rep "
      "count'",
      .what = "rep start 1, rep count 0",
      .field = RF_CONTROL, .value = 1ull << HV_HC_REP_START_SHIFT, RULE_BITS(0xFFFull << HV_HC_REP_START_SHIFT),
      .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.rsvd_27_30", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 30:27 RsvdZ online; 6.0b 3.7: 31:27)",
      .what = "control bits 27-30 set",
      .field = RF_CONTROL, .value = HV_HC_RSVD_27_30, RULE_BITS(HV_HC_RSVD_27_30), .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.rsvd_44_47", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 47:44)",
      .what = "control bits 44-47 set",
      .field = RF_CONTROL, .value = HV_HC_RSVD_44_47, RULE_BITS(HV_HC_RSVD_44_47), .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.rsvd_60_63", .kind = NORMATIVE,
      .source = COMMON "HV_STATUS_INVALID_HYPERCALL_INPUT 'A reserved bit in the specified hypercall "
      "input value is non-zero' (bits 63:60)",
      .what = "control bits 60-63 set",
      .field = RF_CONTROL, .value = HV_HC_RSVD_60_63, RULE_BITS(HV_HC_RSVD_60_63), .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.varhead", .kind = NORMATIVE,
      .source = HI "(Variable Sized Hypercall Input Headers), 6.0b 3.7.1: 'It is illegal to specify a "
      "non-zero variable header size for a hypercall that is not explicitly documented as accepting variable sized input "
      "headers. In such a case the hypercall will result in a return code of HV_STATUS_INVALID_HYPERCALL_INPUT.'",
      .what = "variable header size 1",
      .field = RF_CONTROL, .value = 1ull << HV_HC_VARHEAD_SHIFT, RULE_BITS(0x1FFull << HV_HC_VARHEAD_SHIFT),
      .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.fast", .kind = READING,
      .source = "reading: " HI "/ 6.0b 3.7: Fast 'Specifies whether the hypercall uses the register-based "
      "calling convention'; HvCallPostMessage is 'Call Code 0x005C (Simple)' with a 256-byte memory input, and the TLFS "
      "names no status for a register form a call lacks. Taken: refused with INVALID_HYPERCALL_INPUT ('The hypercall "
      "input value has an invalid encoding': the input value asks for what the call doesn't have), nothing delivered; "
      "not INVALID_HYPERCALL_CODE, whose condition ('The hypercall code is not recognized') is false for 0x005C",
      .what = "the fast bit",
      .field = RF_CONTROL, .value = HV_HC_FAST, RULE_BITS(HV_HC_FAST), .ok = S(INVALID_HYPERCALL_INPUT) },
    { .name = "abi.output_ignored", .kind = NORMATIVE,
      .source = HI "(Alignment Requirements), 6.0b 3.6: 'If the hypercall involves no input or "
      "output parameters, the hypervisor ignores the corresponding GPA pointer'; HvCallPostMessage has no output",
      .what = "output GPA 0xfffffffffffff001",
      .field = RF_OUTPUT_GPA, .value = 0xFFFFFFFFFFFFF001ull, RULE_ONLY(1), .ok = S(SUCCESS) },
    { .name = "abi.cpl3", .kind = NORMATIVE,
      .source = HI "(Legal Hypercall Environments), 6.0b 3.5: 'Hypercalls can be invoked only from the most "
      "privileged guest processor mode ... An attempt to invoke a hypercall within an illegal processor mode will "
      "generate a #UD'",
      .what = "the hypercall page called at CPL3",
      .field = RF_CALL, .value = CALL_CPL3, RULE_NEVER, .ok = 0, .fault = RULE_UD },
    { .name = "abi.page_disabled", .kind = READING,
      .source = "reading: " HI "/ 6.0b 3.13: the hypercall page must be enabled before hypercalls "
      "are made ('Establishing the Hypercall Interface'), and 6.0b 3.5: a hypercall by 'any other means ... might result "
      "in an undefined operation (#UD) exception. The hypervisor is not guaranteed to deliver this exception.' Taken: "
      "with the page disabled a vmcall/vmmcall is #UD or refused (any status but SUCCESS), and posts nothing",
      .what = "vmcall/vmmcall with HV_X64_MSR_HYPERCALL disabled",
      .field = RF_CALL, .value = CALL_PAGE_DISABLED, RULE_NEVER, .ok = RULE_ANY_ERROR, .fault = RULE_UD },
    { .name = "abi.raw_instruction", .kind = READING,
      .source = "reading: " HI "(Legal Hypercall Environments), 6.0b 3.5: 'An attempt to invoke "
      "a hypercall by any other means ... might result in an undefined operation (#UD) exception. The hypervisor is not "
      "guaranteed to deliver this exception': the TLFS promises nothing else. Taken: a raw vmcall/vmmcall either posts "
      "(SUCCESS, delivered) or raises #UD",
      .what = "vmcall/vmmcall issued directly",
      .field = RF_CALL, .value = CALL_RAW, RULE_NEVER, .ok = S(SUCCESS), .fault = RULE_UD },
};
const int rules_abi_count = (int)(sizeof rules_abi / sizeof rules_abi[0]);

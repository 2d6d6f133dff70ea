#include "fault.h"
#include "cpu.h"
#include "exit.h"
#include "fmt.h"
#include "percpu.h"

struct fault_ctx {
    uint64_t saved[9];          /* layout shared with boot/isr.asm */
    struct fault_ctx *prev;
    struct fault *out;
};

int fault_try_asm(struct fault_ctx *ctx, void (*fn)(void *), void *arg) __attribute__((returns_twice));
void fault_resume(struct fault_ctx *ctx) __attribute__((noreturn));

/* The innermost armed context of this CPU. */
static inline struct fault_ctx *get_innermost(void) { return this_cpu()->fault_innermost; }
static inline void set_innermost(struct fault_ctx *c) { this_cpu()->fault_innermost = c; }

static const char *const names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

const char *fault_mnemonic(int vector)
{
    return vector >= 0 && vector < 32 ? names[vector] : "none";
}

int fault_has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

int fault_describe(char *buf, size_t size, const struct fault *f)
{
    if (f->vector == FAULT_NONE) return fmt_snprintf(buf, size, "no fault");
    int n = fault_has_error_code(f->vector)
        ? fmt_snprintf(buf, size, "%s[%04x] at rip %#llx", fault_mnemonic(f->vector), f->error_code, (unsigned long long)f->rip)
        : fmt_snprintf(buf, size, "%s at rip %#llx", fault_mnemonic(f->vector), (unsigned long long)f->rip);
    if (f->vector == VEC_PF && (size_t)n < size)
        n += fmt_snprintf(buf + n, size - n, " cr2 %#llx", (unsigned long long)f->cr2);
    if (f->from_user && (size_t)n < size)
        n += fmt_snprintf(buf + n, size - n, " (CPL3)");
    return n;
}

int fault_catch(void (*fn)(void *), void *arg, struct fault *f)
{
    struct fault_ctx ctx;
    ctx.prev = get_innermost();
    ctx.out = f;
    f->vector = FAULT_NONE;
    f->error_code = 0;
    f->rip = f->cr2 = 0;
    f->from_user = 0;
    set_innermost(&ctx);
    fault_try_asm(&ctx, fn, arg);
    set_innermost(ctx.prev);
    return f->vector != FAULT_NONE;
}

void fault_return_normally(void)
{
    struct fault_ctx *ctx = get_innermost();
    if (!ctx) kernel_bail("user-mode return with no fault context armed");
    ctx->out->vector = FAULT_NONE;     /* fault_catch reports "no fault" */
    fault_resume(ctx);
}

void fault_handle(struct irq_frame *fr)
{
    struct fault f = {
        .vector = (int)fr->vector,
        .error_code = (uint32_t)fr->error_code,
        .rip = fr->rip,
        .cr2 = fr->vector == VEC_PF ? read_cr2() : 0,
        .from_user = (fr->cs & 3) == 3,
    };
    struct fault_ctx *ctx = get_innermost();
    if (!ctx || f.vector == VEC_DF || f.vector == 18 /* #MC */) {
        char what[96];
        fault_describe(what, sizeof what, &f);
        kernel_bail("unexpected %s outside any test (rsp %#llx)", what, (unsigned long long)fr->rsp);
    }
    *ctx->out = f;
    fault_resume(ctx);
}

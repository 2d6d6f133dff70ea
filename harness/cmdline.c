#include "cmdline.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Decimal or 0x-hex, whole string, no overflow. */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { base = 16; s += 2; }
    if (!*s) return -1;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
        else return -1;
        if (d >= base || v > (UINT64_MAX - d) / base) return -1;
        v = v * base + d;
    }
    *out = v;
    return 0;
}

static int valid_pattern(const char *p)
{
    if (!*p) return 0;
    for (; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '*' || c == '?'))
            return 0;
    }
    return 1;
}

/* Keys with a fixed set of values, in the order of their enums (cmdline.h). */
static const char *const helper_names[] = { "auto", "testdev", "none" };      /* enum opt_helper */
static const char *const console_names[] = { "com1", "virtio" };             /* enum opt_console */

/* The index of val in names, or -1 (also for no value). */
static int choice(const char *val, const char *const *names, int n)
{
    for (int i = 0; val && i < n; i++)
        if (strcmp(val, names[i]) == 0) return i;
    return -1;
}

static const struct { const char *key; uint32_t bit; } avoid_keys[] = {
    { "payload_240", AVOID_PAYLOAD_240 }, { "scontrol_off", AVOID_SCONTROL_OFF }, { "simp_off", AVOID_SIMP_OFF },
    { "conn_missing_vp", AVOID_CONN_MISSING_VP },
};

const char *const require_names[REQUIRE_COUNT] = {
    "hyperv", "hypercall", "synic", "nosynic", "post", "nopost", "helper", "vmbus",
};
#define REQUIRE_KEYS "hyperv, hypercall, synic, nosynic, post, nopost, helper, vmbus, vps=N"

#define AVOID_KEYS "payload_240, scontrol_off, simp_off, conn_missing_vp"
#define FAIL(...) do { fmt_snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

int options_parse(const char *cmdline, struct options *o, char *err, size_t errlen)
{
    *o = (struct options){ 0 };
    if (errlen) err[0] = '\0';
    if (!cmdline) return 0;

    /* copy into o->text, one NUL-terminated token after another */
    size_t n = 0;
    const char *s = cmdline;
    char *toks[64];
    int ntok = 0;
    while (*s) {
        while (is_space(*s)) s++;
        if (!*s) break;
        if (ntok == 64) FAIL("command line has more than 64 arguments");
        toks[ntok++] = o->text + n;
        while (*s && !is_space(*s)) {
            if (n + 2 > sizeof o->text) FAIL("command line longer than %d bytes", OPT_MAX_TEXT - 2);
            o->text[n++] = *s++;
        }
        o->text[n++] = '\0';
    }

    for (int i = 0; i < ntok; i++) {
        char *key = toks[i], *val = 0;
        for (char *e = key; *e; e++)
            if (*e == '=') { *e = '\0'; val = e + 1; break; }
        for (int j = 0; j < i && strcmp(key, "tests") != 0 && strcmp(key, "avoid") != 0; j++) /* tests=, avoid= add up; another */
            if (strcmp(toks[j], key) == 0) FAIL("'%s' given twice", key);  /* key can't override */

        if (strcmp(key, "list") == 0 || strcmp(key, "verbose") == 0 || strcmp(key, "bench") == 0) {
            if (val) FAIL("'%s' takes no value (got '%s=%s')", key, key, val);
            if (strcmp(key, "list") == 0) o->list = 1;
            else if (strcmp(key, "verbose") == 0) o->verbose = 1;
            else o->bench = 1;
        } else if (strcmp(key, "fuzz") == 0 || strcmp(key, "bench_iters") == 0) {
            uint64_t v;
            uint64_t max = strcmp(key, "fuzz") == 0 ? OPT_MAX_FUZZ : OPT_MAX_BENCH_ITERS;
            if (!val || parse_u64(val, &v) || v == 0 || v > max)
                FAIL("%s= needs a number from 1 to %llu, got '%s'", key, (unsigned long long)max, val ? val : "");
            if (strcmp(key, "fuzz") == 0) o->fuzz = (uint32_t)v; else o->bench_iters = (uint32_t)v;
        } else if (strcmp(key, "seed") == 0) {
            if (!val || parse_u64(val, &o->seed)) FAIL("seed= needs a number, got '%s'", val ? val : "");
            o->seed_given = 1;
        } else if (strcmp(key, "tests") == 0) {
            if (!val || !*val) FAIL("tests= needs a comma-separated list of name globs");
            for (char *p = val;;) {
                char *c = p;
                while (*c && *c != ',') c++;
                int last = *c == '\0';
                *c = '\0';
                if (!valid_pattern(p)) FAIL("tests=: bad pattern '%s' (use lowercase names, '.', '_', '*', '?')", p);
                if (o->ntests == OPT_MAX_PATTERNS) FAIL("tests=: more than %d patterns", OPT_MAX_PATTERNS);
                o->tests[o->ntests++] = p;
                if (last) break;
                p = c + 1;
            }
        } else if (strcmp(key, "helper") == 0) {
            if ((o->helper = choice(val, helper_names, 3)) < 0)
                FAIL("helper= needs auto, testdev or none, got '%s'", val ? val : "");
        } else if (strcmp(key, "console") == 0) {
            if ((o->console = choice(val, console_names, 2)) < 0)
                FAIL("console= needs com1 or virtio, got '%s'", val ? val : "");
        } else if (strcmp(key, "avoid") == 0) {
            if (!val || !*val) FAIL("avoid= needs a comma-separated list of keys (" AVOID_KEYS ")");
            for (char *p = val;;) {
                char *c = p;
                while (*c && *c != ',') c++;
                int last = *c == '\0', known = 0;
                *c = '\0';
                for (size_t k = 0; k < sizeof avoid_keys / sizeof avoid_keys[0]; k++)
                    if (strcmp(p, avoid_keys[k].key) == 0) { o->avoid |= avoid_keys[k].bit; known = 1; }
                if (!known) FAIL("avoid=: unknown key '%s' (known: " AVOID_KEYS ")", p);
                if (last) break;
                p = c + 1;
            }
        } else if (strcmp(key, "require") == 0) {
            if (!val || !*val) FAIL("require= needs a comma-separated list of items (" REQUIRE_KEYS ")");
            for (char *p = val;;) {
                char *c = p;
                while (*c && *c != ',') c++;
                int last = *c == '\0', known = 0;
                *c = '\0';
                for (int k = 0; k < REQUIRE_COUNT; k++)
                    if (strcmp(p, require_names[k]) == 0) { o->require |= 1u << k; known = 1; }
                if (p[0] == 'v' && p[1] == 'p' && p[2] == 's' && p[3] == '=') {
                    uint64_t v;
                    if (parse_u64(p + 4, &v) || v == 0 || v > 255)
                        FAIL("require=: vps= needs a VP count from 1 to 255, got '%s'", p + 4);
                    o->require_vps = (int)v;
                    known = 1;
                }
                if (!known) FAIL("require=: unknown item '%s' (known: " REQUIRE_KEYS ")", p);
                if (last) break;
                p = c + 1;
            }
            uint32_t r = o->require;
            if ((r & REQUIRE_SYNIC && r & REQUIRE_NOSYNIC) || (r & REQUIRE_POST && r & REQUIRE_NOPOST))
                FAIL("require=: an item and its opposite (synic/nosynic, post/nopost) both given");
        } else if (strcmp(key, "after") == 0 || strcmp(key, "until") == 0) {
            if (!val || !valid_pattern(val)) FAIL("%s= needs a test name", key);
            if (key[0] == 'a') o->after = val; else o->until = val;
        } else {
            FAIL("unknown kernel argument '%s'", key);
        }
    }
    return 0;
}

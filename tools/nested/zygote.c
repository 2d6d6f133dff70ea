/* hvc-zygote.so: L2 QEMU processes forked from one that already started.
 *
 * Loaded into qemu-system-x86_64 with LD_PRELOAD and HVC_ZYGOTE=DIR, it
 * stops the process just before QEMU's main(): the dynamic linker has
 * loaded and relocated QEMU's libraries and every constructor has run, so a
 * forked child skips that part of a QEMU start (and, in a restored L1, the
 * host's TCG has it translated already). tools/nested/init starts one per
 * slot before L1 is saved. Then, per job, it reads QEMU's arguments from
 * DIR/zygote.req (a FIFO, one argument a line, argv[0] first), forks, and
 * the child runs QEMU's main() with them (stdin /dev/null, stderr
 * DIR/l2.err); DIR/zygote.rep gets the child's pid ("none" when fork
 * failed), then its status (the exit code, or 128 + the signal), a line
 * each: docs/DESIGN.md's "The L1 job protocol" (the FIFO lines), which
 * tools/hvconform/jobproto.py writes down and tools/tests/test_zygote.py
 * checks against this file.
 * Without HVC_ZYGOTE the library does nothing. QEMU's own state after a
 * fork: its RCU thread is made again in the child (util/rcu.c's atfork
 * handler, as QEMU's fuzzer relies on). C because nothing else can stand
 * between the loader and main(); L1 plumbing, not part of the test kernel. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REQ (256 * 1024)
#define MAX_ARGS 4096

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);

static main_fn qemu_main;
static char req_path[300], rep_path[300], err_path[300];     /* in HVC_ZYGOTE's directory */

/* The whole request; its arguments are its lines. -1 when the FIFO can't be
 * opened (it is gone, and jobs start QEMU themselves: the zygote ends
 * instead of retrying in a loop). */
static int read_request(char *buf, char **argv)
{
    int fd;
    while ((fd = open(req_path, O_RDONLY)) < 0)     /* waits for the job's writer */
        if (errno != EINTR) return -1;
    size_t len = 0;
    ssize_t n;
    while (len < MAX_REQ - 1 && (n = read(fd, buf + len, MAX_REQ - 1 - len)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    int argc = 0;
    for (char *s = buf; *s && argc < MAX_ARGS - 1;) {
        char *nl = strchr(s, '\n');
        if (nl) *nl = 0;
        argv[argc++] = s;
        if (!nl) break;
        s = nl + 1;
    }
    argv[argc] = 0;
    return argc;
}

static void child(int argc, char **argv, char **envp)
{
    int in = open("/dev/null", O_RDONLY);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || err < 0 || dup2(in, 0) < 0 || dup2(err, 2) < 0) _exit(126);
    close(in);
    close(err);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);               /* as a QEMU started by a shell has it */
    exit(qemu_main(argc, argv, envp));
}

static int zygote(int unused_argc, char **unused_argv, char **envp)
{
    (void)unused_argc;
    (void)unused_argv;
    static char buf[MAX_REQ];
    static char *argv[MAX_ARGS];
    for (int fd = 3; fd < 1024; fd++) close(fd);    /* the init's ports stay its own */
    signal(SIGPIPE, SIG_IGN);       /* a job's reader gone: not the zygote's end */
    unlink(rep_path);
    if (mkfifo(rep_path, 0600)) return 126;
    unlink(req_path);
    if (mkfifo(req_path, 0600)) return 126;     /* last: its existence says "ready" */
    for (;;) {
        int argc = read_request(buf, argv);
        if (argc < 0) return 126;
        if (argc == 0) continue;            /* an empty request: nothing to run */
        int rep = open(rep_path, O_WRONLY);     /* waits for the job's reader */
        if (rep < 0) continue;
        pid_t pid = fork();
        if (pid == 0) {
            close(rep);
            child(argc, argv, envp);
        }
        if (pid < 0) {
            dprintf(rep, "none\n126\n");
            close(rep);
            continue;
        }
        dprintf(rep, "%d\n", (int)pid);
        int st;
        pid_t w;
        while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR) {}
        /* no status to be had: 127, as for a zygote gone */
        dprintf(rep, "%d\n", w < 0 ? 127 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        close(rep);
    }
}

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack)
{
    start_fn real = (start_fn)dlsym(RTLD_NEXT, "__libc_start_main");
    const char *d = getenv("HVC_ZYGOTE");
    if (!real) _exit(127);
    if (d && *d && strlen(d) < sizeof req_path - sizeof "/zygote.req") {
        snprintf(req_path, sizeof req_path, "%s/zygote.req", d);
        snprintf(rep_path, sizeof rep_path, "%s/zygote.rep", d);
        snprintf(err_path, sizeof err_path, "%s/l2.err", d);
        unsetenv("HVC_ZYGOTE");
        unsetenv("LD_PRELOAD");             /* QEMU's own children start plainly */
        qemu_main = main;
        main = zygote;
    }
    return real(main, argc, argv, init, fini, rtld_fini, stack);
}

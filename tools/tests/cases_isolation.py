"""make test cases for test isolation (kernel/console.h console_sync_host):
between tests the kernel proves QEMU's main loop ran what the last test's
teardown set going, or says once that it waited instead."""

from harness import case

NOTE = '# isolation: '
SEL = 'tests=synic.deliver_one,post.success,post.conn_unknown,post.type_one'


def notes(r):
    return [l for l in r.text().split('\n') if l.startswith(NOTE)]


@case('isolation-sync-note', lane='nested', needs_nested=True)
def isolation_sync_note(t):
    """On COM1 the host's event loop can't be seen: the kernel waits between
    tests and says so once, after a test (not before the first), and the
    tests pass as on the virtio console. That the virtio console the runner
    passes (nested and kvm modes) needs no wait, nested-full checks."""
    com1 = t.rq('--mode', 'nested', '--config', 'full', '--args', 'console=com1 ' + SEL, tag='com1')
    t.want_rc(com1, 0)
    t.check(all(com1.status(k) == 'pass' for k in SEL[6:].split(',')), 'not every test passed: %s'
            % {k: com1.status(k) for k in SEL[6:].split(',')})
    n = notes(com1)
    t.check(len(n) == 1 and '10 ms' in n[0], 'console=com1: want one "%s" note naming the wait, got %s' % (NOTE, n))
    lines = com1.text().split('\n')
    if n:
        before = lines[:lines.index(n[0])]
        t.check(any(l.startswith('ok 1 ') for l in before), 'the note came before the first test ended')

"""make test cases for what a bare machine meets: a package the nested cache
needs that cannot be installed (tools/tests/data/fake-apt: dpkg-query says
kmod is not installed, as it does on a minimal Debian, and apt-get cannot
install it). The cache build must name the package, the runner must say
which command failed with its last lines, and exit 3: never fall back to
plain TCG (which tests no Hyper-V) nor end in silence."""

import os

from harness import ROOT, case

FAKE = os.path.join(ROOT, 'tools', 'tests', 'data', 'fake-apt')


def env(t):
    # a cache directory of its own, so that build-cache.sh really runs (the
    # shared build/nested/debian12 is up to date and would not)
    return {'PATH': FAKE + ':' + os.environ['PATH'], 'FAKE_MISSING': 'kmod',
            'HVCONFORM_NESTED_DIR': os.path.join(t.dir, 'nested')}


@case('cache-build-fails')
def cache_build_fails(t):
    e = env(t)
    rc, out = t.sh(['sh', 'tools/nested/build-cache.sh', '--stack', 'debian12',
                    os.path.join(t.dir, 'nested', 'direct')], env=e)
    t.check(rc == 1, 'build-cache.sh: exit %d, want 1' % rc)
    t.check('install-pkgs: missing packages: kmod' in out and 'Unable to locate package kmod' in out,
            'build-cache.sh does not name kmod with apt\'s reason')
    t.check('build-cache: error: ' in out, 'build-cache.sh ends without its error line')

    for mode in ('nested', 'auto'):
        rc, out = t.sh(['./run-qemu.sh', '--no-deps', '--no-build', '--mode', mode, '--timeout', '30',
                        '--log', os.path.join(t.dir, mode + '.log')], env=e)
        if mode == 'auto' and 'run-qemu: mode kvm' in out:
            continue        # this host's KVM offers Hyper-V: auto never needs the cache
        t.check(rc == 3, '--mode %s: exit %d, want 3' % (mode, rc))
        t.check('TAP version' not in out and 'run-qemu: mode tcg' not in out, '--mode %s booted the kernel' % mode)
        # the failing command and its last lines
        t.check('the debian12 L1 cache could not be built: `sh ' in out and 'build-cache.sh --stack debian12' in out,
                '--mode %s: the failing command is not named' % mode)
        t.check('    install-pkgs: missing packages: kmod' in out,
                '--mode %s: the cache build\'s last lines are not given' % mode)
        if mode == 'auto':
            t.check('no mode reaches Hyper-V on this host' in out and '  kvm: ' in out and '  nested: ' in out,
                    '--mode auto: not every mode\'s reason is given')

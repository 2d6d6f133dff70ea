"""The one key of a stack's nested cache and of its saved L1s: key() of named
inputs. build-cache.sh and qemu-layer.sh get it through this file's command
line; l1saved.py calls it. Three uses, one function:
  the cache    stack, the L1 kernel package, the userland's package versions,
               busybox, the scripts that build it (cache_scripts): the stamp
               file (stamp_text) says what it was built from and its key
  a saved L1   the cache's key, L1's command line (with its paths left out:
               a copy of a cache restores as it is), L0's version (state_key)
  the probe    what build-cache.sh's answer depends on, read without running
               it: the same scripts, the package databases' and the cache's
               files by size and time (probe_key)
Inputs are name -> str; a name holds no '=' or line break, a value no line
break, so the text hashed (render) reads back one way only.

usage: cachekey.py [--stack STACK] [--file NAME=PATH]... [NAME=VALUE]...
  prints the stamp text of the inputs (render, then key=KEY): --stack adds
  stack=STACK and scripts= (cache_scripts), --file NAME=PATH the sha256 of
  PATH's content as NAME. Exit 2 for bad arguments."""

import hashlib
import os
import re
import sys

NESTED_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'nested')
# build-cache.sh and what it runs or copies into L1 (stack files: cache_scripts)
CACHE_SCRIPTS = ('build-cache.sh', 'build-zygote.sh', 'elfcopy.sh', 'init', 'kmods.sh', 'zygote.c')
SOURCED = re.compile(r'^\s*\.\s+"\$here/(stack-[A-Za-z0-9_.-]+\.sh)"', re.M)


class InputError(ValueError):
    """An input that would make the hashed text ambiguous."""


def render(inputs):
    """The text key() hashes: 'name=value' lines, sorted by name."""
    for name, value in inputs.items():
        if not name or '=' in name or '\n' in name:
            raise InputError('key input name %r: not empty, no "=" or line break' % name)
        if not isinstance(value, str) or '\n' in value:
            raise InputError('key input %s=%r: a string without a line break' % (name, value))
    return ''.join('%s=%s\n' % (n, inputs[n]) for n in sorted(inputs))


def key(inputs):
    """THE key: sha256 of render(inputs), in hex."""
    return hashlib.sha256(render(inputs).encode()).hexdigest()


def stamp_text(inputs):
    """A stamp file: the inputs, then their key (read back by stamp_key)."""
    return render(inputs) + 'key=%s\n' % key(inputs)


def stamp_key(path):
    """The key a stamp file records; None without one (no file, an older format)."""
    try:
        with open(path) as f:
            lines = f.read().split('\n')
    except OSError:
        return None
    last = [l for l in lines if l.startswith('key=')]
    return last[-1][4:] if last else None


def file_digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def cache_scripts(stack, nested_dir=NESTED_DIR):
    """The digest of the files a stack's cache is built from: CACHE_SCRIPTS,
    the stack's file and the stack files it sources (each by name)."""
    files, todo = list(CACHE_SCRIPTS), ['stack-' + stack + '.sh']
    while todo:
        name = todo.pop()
        if name in files:
            continue
        files.append(name)
        with open(os.path.join(nested_dir, name)) as f:
            todo += SOURCED.findall(f.read())
    return key({name: file_digest(os.path.join(nested_dir, name)) for name in files})


def state_key(cache_key, l1_command, l0_version):
    """A saved L1's key: its cache's key, L1's command line (a list, rendered
    with placeholder paths by the caller) and L0's `--version` output."""
    return key({'cache': cache_key, 'l1': ' '.join(l1_command), 'l0': l0_version})


def _identity(path):
    try:
        st = os.stat(path)
        return '%d %d' % (st.st_mtime_ns, st.st_size)
    except OSError:
        return '-'


def probe_key(stack, cache, nested_dir=NESTED_DIR):
    """What build-cache.sh's answer for cache depends on, without running it
    (its package queries are the slow part): the scripts, the package
    databases it asks and the cache's own files, by time and size."""
    inputs = {'stack': stack, 'scripts': cache_scripts(stack, nested_dir)}
    for path in ('/var/lib/dpkg/status', '/var/lib/apt/lists'):
        inputs['host:' + path] = _identity(path)
    for name in ('apt/lists', 'stamp', 'versions', 'base.cpio', 'kernel/vmlinuz'):
        inputs['cache:' + name] = _identity(os.path.join(cache, name))
    return key(inputs)


def main(argv):
    inputs, i = {}, 0
    try:
        while i < len(argv):
            a = argv[i]
            if a in ('--stack', '--file') and i + 1 < len(argv):
                v = argv[i + 1]
                i += 2
                if a == '--stack':
                    inputs['stack'], inputs['scripts'] = v, cache_scripts(v)
                else:
                    name, eq, path = v.partition('=')
                    if not eq:
                        raise InputError('--file %r: want NAME=PATH' % v)
                    inputs[name] = file_digest(path)
                continue
            name, eq, value = a.partition('=')
            if not eq or a.startswith('-'):
                raise InputError('argument %r: want NAME=VALUE' % a)
            inputs[name] = value
            i += 1
        sys.stdout.write(stamp_text(inputs))
    except (InputError, OSError) as e:
        sys.stderr.write('cachekey: error: %s\n%s' % (e, __doc__[__doc__.index('usage:'):]))
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

"""The long-option command lines of run-qemu.sh (cli.py) and tools/qemu-build
(qemubuild.py), read one way: `--opt VALUE` or `--opt=VALUE`, flags, options
that repeat, `-h`/`--help`, and words after `--`. What the values mean is each
program's own check, after this."""


class ArgError(Exception):
    pass


def scan(argv, values, flags=(), repeat=(), rest=False, hint=''):
    """{name: value} of argv, names without their `--`: a value option's
    string (given twice is an error), a repeatable one's list in order, a
    flag's True; {'help': True} alone at -h/--help. With rest, the words
    after `--` are '--' (a list). Raises ArgError; hint follows the message
    of an unknown option."""
    out = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ('-h', '--help'):
            return {'help': True}
        if rest and a == '--':
            out['--'] = list(argv[i + 1:])
            break
        if a.startswith('--') and '=' in a:
            a, val = a.split('=', 1)
            if a not in values:
                raise ArgError("unknown option '%s'%s" % (argv[i], hint))
            i += 1
        elif a in values:
            if i + 1 >= len(argv):
                raise ArgError('%s needs a value' % a)
            val = argv[i + 1]
            i += 2
        elif a in flags:
            out[a[2:]] = True
            i += 1
            continue
        else:
            raise ArgError("unknown option '%s'%s" % (a, hint))
        if a in repeat:
            out.setdefault(a[2:], []).append(val)
        elif a[2:] in out:
            raise ArgError('%s given twice' % a)
        else:
            out[a[2:]] = val
    return out


def whole(value, opt, most, what):
    """A whole number from 1 to most (ASCII digits only) of an option's value;
    what names the range in the message, with %d for most."""
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= most:
        raise ArgError(("%s: '%s' is not " + what) % (opt, value, most))
    return int(value)

"""One cell's run: its profile, its log, its kernel arguments, its boots as a
crash-resumed chain (chain.py) through the cell's booter (booters.py), then
the checker's verdict on the pieces."""

import os

from . import BadInput, EnvError, chain, cli, jsonfile, logfiles, verdict
from . import profile as profile_mod
from .booters import booter_for
from .configs import ROOT
from .notes import labelled, note, report, set_label
from .tap import clean

# per configuration: {test the VM died in: seconds the boot after it ran,
# '': the first boot's} on its last whole run. A hint for the boots started
# ahead (which ones, longest first), never a result: a wrong one costs a boot
# that is thrown away.
HISTORY = os.path.join(ROOT, 'build', 'runner-deaths.json')


def run(o, table, cell, tmp, l1=None, log=None, junit=None, json_out=None, label=None):
    """One cell (cell.Cell), crash-resumed; returns the checker's status.
    o: run-qemu.sh's options (cli.parse); l1: the stack's L1s (nested.Nested)
    for a nested cell; log, junit, json_out: the matrix's paths for the cell
    (else the options'); label: a matrix cell run beside others (its serial
    output goes to its log only, its notes are tagged with the label, its
    report comes in one piece)."""
    with labelled(label):
        return _run(o, table, cell, tmp, l1, log, junit or o['junit'], json_out or o['json'], label)


def _run(o, table, cell, tmp, l1, log, junit, json_out, label):
    l2args = cell.l2_args(table)
    if cell.mode == 'tcg':
        note('tcg: no Hyper-V (TCG offers no hv-* enlightenments); --config %s does not apply, '
             'Hyper-V tests SKIP' % cell.config)
    else:
        note('config %s, machine %s, %d VP(s): %s' % (cell.config, cell.machine, cell.smp,
                                                      ' '.join(table.l2_args(cell.config, cell.machine))))
    profile = o['profile'] or table.profile(cell.stack, cell.config, cell.mode)
    if profile is None:
        note('no profile for %s/%s: checking without one' % (cell.stack, cell.config))
    prof = read_profile(profile) if profile not in (None, 'none') else None
    avoid = prof.avoid if prof else []
    # the log, held to the end; its earlier pieces and outputs are gone from here on
    log, _lock = o.get('claimed') if log is None and o.get('claimed') else \
        logfiles.claim(log or o['log'], cell.default_log(), note)
    for path in (junit, json_out):
        logfiles.remove(path)
    base = cell.kernel_args(o['kargs'], table, avoid)
    if avoid:
        note('profile %s: avoid=%s' % (profile, ','.join(avoid)))
    hkey = cell.history_key(profile)
    seen = jsonfile.read(HISTORY).get(hkey)
    seen = seen if isinstance(seen, dict) else None     # none yet, or a hand-edited file
    # a given --timeout bounds the run's boots together, not only each one; a
    # matrix cell's boots also wait for other cells' slots: there it is per boot
    booter = booter_for(cell, l2args, tmp, note, l1=l1, seen=seen, timeout=o['timeout'],
                        bounded=label is None and not o['matrix'])
    ahead = chain.speculate(o['kargs'], prof, booter.workers, seen)
    if ahead:
        # the boots started ahead need the run's seed before the first boot prints it
        base = base.plus_missing('seed', int.from_bytes(os.urandom(4), 'little') % 4000000000 + 1)
    booter.begin()
    entries = prof.entries.items() if prof else ()
    c = chain.Chain(booter, base, log, note, lambda r: r.describe(booter.timeout, booter.bounded),
                    booter.workers, echo=label is None, enter=lambda: set_label(label),
                    deadline=booter.deadline, replay=[n for n, e in entries if e.intermittent_death],
                    confirm={n: e for n, e in entries if e.rare_pass})
    try:
        pieces = c.run(o['kargs'].after, ahead)
    except chain.ChainError as e:
        raise EnvError(str(e))
    if o['kargs'].selects_all:      # the history is of whole runs
        jsonfile.update(HISTORY, {hkey: c.took})
    pieces = logfiles.publish(pieces, log)
    return check(pieces, log, prof, junit, json_out, cell.meta(booter.versions), label)


def read_profile(path):
    try:
        return profile_mod.read(path)
    except BadInput as e:
        raise cli.Usage('--profile: %s' % e)


def check(pieces, log, prof, junit, json_out, meta, label=None):
    """The checker's verdict on this run's pieces, in this process (as
    tools/check-log would give it: one parser, no second interpreter start);
    with a label, its report printed in one piece, headed by the label."""
    lines = []
    try:
        # the JSON carries the cell's coordinates, for the matrix
        rc = verdict.check(pieces, prof, junit, json_out, write=lines.append, json_extra=meta)
    except BadInput as e:
        note('check-log: %s' % clean(str(e), 400))
        rc = 2
    except Exception as e:      # never a traceback: say what broke
        note('check-log: internal error: %s: %s' % (type(e).__name__, e))
        rc = 2
    text = ''.join(line + '\n' for line in lines)
    if label is not None:
        text = '== %s (%s)\n' % (label, log) + text
    report(text)
    return rc

#!/usr/bin/env python3
"""browser_check: the matrix HTML rendered by a real headless browser (Debian's Chromium).

usage: python3 tools/tests/browser_check.py [--out DIR]

Writes the sample cells of test_report.py (every status, readings, tests missing from some
cells, hostile strings) as JSON, runs tools/matrix-report on them, then has Chromium
(installed with tools/ci/install-pkgs.sh when missing) dump the page's DOM and take a
screenshot. Checks: the DOM holds exactly one matrix cell per (test, column) with the class
and status the cells JSON says, in order; no script ran and no injected element exists; the
screenshot PNG (decoded here with zlib) has the size asked for and shows the pass, fail,
known, skip and VM-died colours, each over at least about the area of its cells. --out DIR keeps matrix.html, dom.html and shot.png there.
Every Chromium run has a time limit (its process group is killed after it).
Last line: `ok browser_check: ...`, `FAIL browser_check: ...` or `skip browser_check: ...`.
Exit status: 0 ok, 1 failed, 77 skipped (Chromium not there and not installable), 2 usage.
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, TOOLS)
from hvconform import report  # noqa: E402
import test_report  # noqa: E402

RUN_TIMEOUT = 90          # s, one Chromium run
INSTALL_TIMEOUT = 1200    # s, apt-get update + install
WIDTH, HEIGHT = 1400, 1000
CELL_PIXELS = 1500        # at least, of one matrix cell's colour (a cell is ~100x24 px or more)
MIN_PIXELS = 400          # of each colour, beyond the cells (the legend's swatch)
MUST_SHOW = ('pass', 'fail', 'known', 'skip', 'died')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-extensions', '--hide-scrollbars']


class Skip(Exception):
    pass


class Failed(Exception):
    pass


def find_chromium():
    for name in ('chromium', 'chromium-browser'):
        if shutil.which(name):
            return shutil.which(name)
    script = os.path.join(TOOLS, 'ci', 'install-pkgs.sh')
    try:
        r = subprocess.run(['sh', script, 'chromium'], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=INSTALL_TIMEOUT, env=dict(os.environ, APT_TIMEOUT='900'))
    except subprocess.TimeoutExpired:
        raise Skip('installing chromium took over %d s' % INSTALL_TIMEOUT)
    if r.returncode != 0:
        last = (r.stdout.strip().splitlines() or ['no output'])[-1]
        raise Skip('chromium is not installed and could not be: %s' % last)
    if not shutil.which('chromium'):
        raise Skip('Debian\'s chromium package is installed but no chromium is on PATH')
    return shutil.which('chromium')


def run_chromium(chromium, args, tmp, tag):
    """Run Chromium with FLAGS + args and a fresh profile; returns stdout (bytes)."""
    profile = tempfile.mkdtemp(prefix='profile-%s-' % tag, dir=tmp)
    cmd = [chromium] + FLAGS + ['--user-data-dir=' + profile] + args
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = p.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(p)
        p.communicate()
        raise Failed('chromium %s: no exit within %d s (killed)' % (tag, RUN_TIMEOUT))
    finally:
        kill_group(p)  # helpers it left behind
    if p.returncode != 0:
        tail = err.decode('utf-8', 'replace').strip().splitlines()[-3:]
        raise Failed('chromium %s: exit status %d: %s' % (tag, p.returncode, ' | '.join(tail)))
    return out


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def expected_cells(cells):
    """[(look, status)] for every (row, column) in the page's order, from the JSON alone."""
    cols, rows = report.build(cells)
    want = []
    for name in rows:
        for c in cols:
            found = [t for t in c['cell']['tests'] if t['name'] == name]
            if not found:
                want.append(('notrun', 'notrun'))
                continue
            st, kind = found[0]['status'], found[0].get('kind')
            look = st
            if kind == 'reading' and st in ('pass', 'fail'):
                look = 'agree' if st == 'pass' else 'reading'
            want.append((look, st))
    return want


def check_dom(dom, cells):
    p = test_report.Cells()
    p.feed(dom.decode('utf-8', 'replace'))
    p.close()
    want = expected_cells(cells)
    if len(p.cells) != len(want):
        raise Failed('DOM has %d matrix cells, the cells JSON %d' % (len(p.cells), len(want)))
    for i, (got, exp) in enumerate(zip(p.cells, want)):
        if got != exp:
            raise Failed('DOM cell %d is %s/%s, want %s/%s' % (i, got[0], got[1], exp[0], exp[1]))
    if 'script' in p.tags or 'img' in p.tags or p.sources:
        raise Failed('the DOM holds an injected element or attribute (escaping broken)')
    if b'pwned' in dom.split(b'<title>', 1)[-1].split(b'</title>', 1)[0]:
        raise Failed('a hostile script ran (title changed)')
    if b'<tfoot>' not in dom or b' passed, ' not in dom:
        raise Failed('no summary row in the DOM')
    return len(p.cells)


def png_pixels(data):
    """Decode an 8-bit RGB/RGBA non-interlaced PNG: (width, height, list of row bytes, bpp)."""
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        raise Failed('screenshot is not a PNG')
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, typ = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b'IHDR':
            ihdr = struct.unpack('>IIBBBBB', body)
        elif typ == b'IDAT':
            idat.append(body)
        elif typ == b'IEND':
            break
        pos += 12 + n
    if not ihdr or not idat:
        raise Failed('PNG without IHDR or IDAT')
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise Failed('PNG format depth %d type %d interlace %d not handled' % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b''.join(idat))
    stride = w * bpp
    if len(raw) != h * (stride + 1):
        raise Failed('PNG data is %d bytes, want %d' % (len(raw), h * (stride + 1)))
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
            elif f != 0:
                raise Failed('PNG row %d has filter %d' % (y, f))
        rows.append(bytes(line))
        prev = line
    return w, h, rows, bpp


def check_png(data, want):
    """The screenshot shows each MUST_SHOW colour over about the area of its cells in `want`."""
    w, h, rows, bpp = png_pixels(data)
    if (w, h) != (WIDTH, HEIGHT):
        raise Failed('screenshot is %dx%d, asked for %dx%d' % (w, h, WIDTH, HEIGHT))
    hist = {}
    for line in rows:
        for x in range(0, len(line), bpp):
            px = line[x:x + 3]
            hist[px] = hist.get(px, 0) + 1
    seen = {}
    for k in MUST_SHOW:
        rgb = bytes.fromhex(report.LOOKS[k][1][1:])
        near = sum(n for px, n in hist.items() if max(abs(px[i] - rgb[i]) for i in range(3)) <= 3)
        seen[k] = near
    need = {k: MIN_PIXELS + CELL_PIXELS * sum(1 for look, _ in want if look == k) for k in MUST_SHOW}
    missing = ['%s %s (%d px, want %d)' % (k, report.LOOKS[k][1], n, need[k])
               for k, n in seen.items() if n < need[k]]
    if missing:
        raise Failed('screenshot lacks the colours of: ' + ', '.join(missing))
    return len(hist), seen


def main(argv):
    out = None
    if argv[:1] == ['--out'] and len(argv) == 2:
        out = argv[1]
    elif argv:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix='hvconform-browser-')
    try:
        chromium = find_chromium()
        cells = test_report.sample_cells()
        paths = []
        for i, c in enumerate(cells):
            paths.append(os.path.join(tmp, 'cell%d.json' % i))
            with open(paths[-1], 'w', encoding='utf-8') as f:
                json.dump(c, f)
        r = subprocess.run([sys.executable, os.path.join(TOOLS, 'matrix-report'), '--out', tmp]
                           + paths, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise Failed('matrix-report exit %d: %s' % (r.returncode, r.stderr.strip()))
        page = os.path.join(tmp, 'matrix.html')
        url = 'file://' + page
        dom = run_chromium(chromium, ['--dump-dom', url], tmp, 'dom')
        ncells = check_dom(dom, cells)
        shot = os.path.join(tmp, 'shot.png')
        run_chromium(chromium, ['--screenshot=' + shot, '--window-size=%d,%d' % (WIDTH, HEIGHT),
                                url], tmp, 'shot')
        if not os.path.exists(shot):
            raise Failed('chromium wrote no screenshot')
        with open(shot, 'rb') as f:
            ncolours, seen = check_png(f.read(), expected_cells(cells))
        with open(os.path.join(tmp, 'dom.html'), 'wb') as f:
            f.write(dom)
        if out:
            os.makedirs(out, exist_ok=True)
            for name in ('matrix.html', 'dom.html', 'shot.png'):
                shutil.copy(os.path.join(tmp, name), os.path.join(out, name))
        print('ok browser_check: %d cells in the DOM as in the JSON; screenshot %dx%d, %d colours, '
              'palette px %s' % (ncells, WIDTH, HEIGHT, ncolours,
                                 ' '.join('%s=%d' % kv for kv in seen.items())))
        return 0
    except Skip as e:
        print('skip browser_check: %s' % e)
        return 77
    except (Failed, OSError, subprocess.TimeoutExpired, report.BadCell) as e:
        print('FAIL browser_check: %s' % e)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

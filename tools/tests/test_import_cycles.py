"""The host package's modules import one way: no module of tools/hvconform
imports, directly or through others, a module that imports it back
(docs/DESIGN.md, "Dependencies point one way"). An import inside a function
counts: it hides a circle, it does not break it."""

import ast
import os
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = 'hvconform'


def imports_of(source, modules):
    """The package's modules (names in `modules`) that `source` imports, at
    any depth of its syntax tree: `from . import x`, `from .x import y`,
    `from hvconform import x`, `from hvconform.x import y`, `import hvconform.x`."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level == 1 or base == PACKAGE or base.startswith(PACKAGE + '.'):
                base = base[len(PACKAGE):].lstrip('.') if node.level == 0 else base
                if base:
                    out.add(base.split('.')[0])
                else:
                    out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            out.update(a.name.split('.')[1] for a in node.names if a.name.startswith(PACKAGE + '.'))
    return {m for m in out if m in modules}


def graph_of(folder):
    """{module: set of the package's modules it imports} for the .py files of folder."""
    names = {f[:-3] for f in os.listdir(folder) if f.endswith('.py')}
    graph = {}
    for m in sorted(names):
        with open(os.path.join(folder, m + '.py'), encoding='utf-8') as f:
            graph[m] = imports_of(f.read(), names) - {m}
    return graph


def cycles(graph):
    """Each import circle once, as a list of modules starting at its smallest
    name and ending where it began (a -> b -> a)."""
    found = set()
    for start in sorted(graph):
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    i = path.index(min(path))
                    found.add(tuple(path[i:] + path[:i]))
                elif nxt not in path and nxt > start:   # each circle from its smallest member
                    stack.append((nxt, path + [nxt]))
    return [list(c) + [c[0]] for c in sorted(found)]


class CycleRule(unittest.TestCase):
    def test_imports_found_at_any_depth(self):
        src = ('from . import a\nfrom .b import x\nimport os\n'
               'def f():\n    from . import c\n    from hvconform.d import y\n    import hvconform.e\n')
        self.assertEqual(imports_of(src, {'a', 'b', 'c', 'd', 'e', 'z'}), {'a', 'b', 'c', 'd', 'e'})

    def test_circles_flagged_once(self):
        self.assertEqual(cycles({'a': {'b'}, 'b': {'a'}, 'c': {'a'}}), [['a', 'b', 'a']])
        self.assertEqual(cycles({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}), [['a', 'b', 'c', 'a']])
        self.assertEqual(cycles({'a': {'b'}, 'b': {'c'}, 'c': set()}), [])


class RepoImports(unittest.TestCase):
    def test_no_import_circle(self):
        found = cycles(graph_of(os.path.join(ROOT, 'tools', PACKAGE)))
        self.assertEqual(found, [], 'import circles among tools/hvconform modules:\n'
                         + '\n'.join(' -> '.join(c) for c in found))


if __name__ == '__main__':
    sys.exit(unittest.main())

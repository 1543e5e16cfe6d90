#!/usr/bin/env python3
"""Checks the shape of src/ (docs/ARCHITECTURE.md, "Layers"), as TAP:

1. every #include "ws-….h" names a header of the file's own layer or of one
   it may use;
2. no file is over 800 lines and no function over 80;
3. no run of 10 or more code lines stands twice in src/.

tests/layout-exceptions.txt names what is allowed to break 2 or 3, with the
reason; an entry that no longer matches anything fails too, so the list
only shrinks."""
import os, re, sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, '..', 'src')
BELOW = {  # a layer may include its own headers and those of these layers
    'core': [], 'proto': ['core'], 'net': ['core', 'proto'],
    'stream': ['core', 'proto', 'net'],
    'client': ['core', 'proto', 'net', 'stream'],
    'server': ['core', 'proto', 'net', 'stream'],
    'store': ['core'], 'report': ['core'],
    'monitor': ['core', 'proto', 'net', 'stream', 'client', 'server', 'store'],
    'cli': ['core', 'proto', 'net', 'stream', 'client', 'server', 'store', 'monitor', 'report'],
    'gui': ['core', 'proto', 'net', 'stream', 'client', 'server', 'store', 'monitor', 'report'],
}
MAX_FILE, MAX_FUNC, RUN = 800, 80, 10

files = {}
for layer in sorted(os.listdir(SRC)):
    d = os.path.join(SRC, layer)
    if os.path.isdir(d):
        for f in sorted(os.listdir(d)):
            if f.endswith(('.c', '.h')):
                files[f'{layer}/{f}'] = open(os.path.join(d, f), encoding='utf-8').read().split('\n')
exceptions = {}
for line in open(os.path.join(HERE, 'layout-exceptions.txt')):
    if line.strip() and not line.startswith('#'):
        key, _, why = line.partition('#')
        exceptions[key.strip()] = why.strip()
used = set()
results = []

def check(name, problems):
    left = []
    for key, text in problems:
        if key in exceptions:
            used.add(key)
        else:
            left.append(text)
    results.append((name, left))

def include_problems(files):
    home = {os.path.basename(p): p.split('/')[0] for p in files}
    problems = []
    for path, lines in files.items():
        layer = path.split('/')[0]
        for n, line in enumerate(lines, 1):
            m = re.match(r'#include "(ws-[^"]+\.h)"', line)
            if m and layer in BELOW and home.get(m.group(1), layer) not in BELOW[layer] + [layer]:
                problems.append((None, f'{path}:{n}: {layer}/ includes {home[m.group(1)]}/{m.group(1)}'))
    return problems

def length_problems(files):
    problems = []
    for path, lines in files.items():
        if len(lines) - 1 > MAX_FILE:
            problems.append((f'file {path}', f'{path}: {len(lines) - 1} lines (at most {MAX_FILE})'))
        start = None
        for n, line in enumerate(lines):
            if line == '{':
                start = n
            elif line == '}' and start is not None:
                head = next((l for l in reversed(lines[max(0, start - 6):start]) if re.match(r'^\w+ \(', l)), '?')
                func = head.split(' ')[0]
                if n - start - 1 > MAX_FUNC:
                    problems.append((f'function {path} {func}', f'{path}:{start}: {func}() is {n - start - 1} lines (at most {MAX_FUNC})'))
                start = None
    return problems

def significant(line):
    s = line.strip()
    return s and not re.fullmatch(r'[{}();,]*|/?\*.*|//.*|#include.*', s)

def duplicate_problems(files):
    runs = defaultdict(list)
    for path, lines in files.items():
        code = [(n, re.sub(r'\s+', ' ', l.strip())) for n, l in enumerate(lines, 1) if significant(l)]
        for i in range(len(code) - RUN + 1):
            runs['\n'.join(t for _, t in code[i:i + RUN])].append((path, code[i][0]))
    problems, seen = [], set()
    for places in runs.values():
        if len(places) > 1:
            (a, la), (b, lb) = places[0], places[1]
            if (a, b) not in seen:
                seen.add((a, b))
                problems.append((f'duplicate {a} {b}', f'{a}:{la} and {b}:{lb} share {RUN} or more lines'))
    return problems

# The checker itself, on a tree that breaks each rule once.
body = [f'  x += {i};' for i in range(MAX_FUNC + 1)]
bad = {'core/ws-a.c': ['#include "ws-b.h"', 'void', 'f (void)', '{'] + body + ['}', ''],
       'client/ws-b.h': [''], 'net/ws-c.c': body + ['']}
caught = [len(include_problems(bad)) == 1, len(length_problems(bad)) == 1,
          len(duplicate_problems(bad)) == 1]
results.append(('the checker catches an upward include, a long function, a repeated run',
                [] if all(caught) else [f'caught: {caught}']))
check('every include names a header of the same layer or of one below', include_problems(files))
check(f'no file over {MAX_FILE} lines, no function over {MAX_FUNC}', length_problems(files))
check(f'no run of {RUN} code lines stands twice in src/', duplicate_problems(files))

stale = [k for k in exceptions if k not in used]
results.append(('every entry of layout-exceptions.txt still matches something',
                [f'stale: {k}' for k in stale]))
print(f'1..{len(results)}')
for i, (name, left) in enumerate(results, 1):
    for text in left:
        print(f'# {text}')
    print(f'{"ok" if not left else "not ok"} {i} - {name}')
sys.exit(0)

#!/usr/bin/env python3
# po2json.py XGETTEXT SCRIPT.js LANG.po OUT.json — the page's translations
#
# The browser page takes its strings from the app's catalogs (po/LANG.po),
# so translators see one file per language. This writes the translations of
# the strings SCRIPT.js marks (as xgettext extracts them, the same way the
# template is made) as one JSON object {msgid: msgstr}; a string with no
# translation, or only a fuzzy one, is left out and the page shows the
# English. The page uses neither contexts nor plurals; such entries are
# skipped.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import subprocess
import sys

ESCAPES = {'n': '\n', 't': '\t', 'r': '\r', '"': '"', '\\': '\\', 'a': '\a',
           'b': '\b', 'f': '\f', 'v': '\v'}


def unquote(literal):
    """The value of one C-quoted po string literal."""
    body = literal.strip()
    if len(body) < 2 or body[0] != '"' or body[-1] != '"':
        raise ValueError('not a quoted string: ' + literal)
    out = []
    i, body = 0, body[1:-1]
    while i < len(body):
        c = body[i]
        if c == '\\' and i + 1 < len(body):
            i += 1
            if body[i] in ESCAPES:
                out.append(ESCAPES[body[i]])
            else:
                raise ValueError('unknown escape \\' + body[i])
        else:
            out.append(c)
        i += 1
    return ''.join(out)


def entries(text):
    """Yields (fields, fuzzy) for each entry: fields maps msgctxt, msgid,
    msgid_plural, msgstr, msgstr[N] to their strings."""
    fields, fuzzy, key = {}, False, None
    for line in text.splitlines() + ['']:
        line = line.strip()
        if not line:
            if fields:
                yield fields, fuzzy
            fields, fuzzy, key = {}, False, None
        elif line.startswith('#~'):
            key = None      # obsolete: not in the sources any more
        elif line.startswith('#,'):
            fuzzy = fuzzy or 'fuzzy' in [f.strip() for f in line[2:].split(',')]
        elif line.startswith('#'):
            continue
        elif line.startswith('"'):
            if key is not None:
                fields[key] += unquote(line)
        else:
            key, _, literal = line.partition(' ')
            fields[key] = unquote(literal)


def translations(po_text, wanted):
    table = {}
    for fields, fuzzy in entries(po_text):
        msgid = fields.get('msgid', '')
        if (fuzzy or not msgid or msgid not in wanted or 'msgctxt' in fields
                or 'msgid_plural' in fields):
            continue
        if fields.get('msgstr'):
            table[msgid] = fields['msgstr']
    return table


def main(argv):
    if len(argv) != 5:
        sys.exit('usage: po2json.py XGETTEXT SCRIPT.js LANG.po OUT.json')
    xgettext, script, po, out = argv[1:]
    pot = subprocess.run(
        [xgettext, '--language=JavaScript', '--from-code=UTF-8', '--keyword=_',
         '--keyword=N_', '--omit-header', '-o', '-', script],
        check=True, capture_output=True, text=True, encoding='utf-8').stdout
    wanted = {f['msgid'] for f, _ in entries(pot) if f.get('msgid')}
    if not wanted:
        sys.exit(f'po2json.py: xgettext found no strings in {script}')
    with open(po, encoding='utf-8') as f:
        table = translations(f.read(), wanted)
    with open(out, 'w', encoding='utf-8') as f:
        json.dump(table, f, ensure_ascii=False, indent=0, sort_keys=True)
        f.write('\n')


if __name__ == '__main__':
    main(sys.argv)

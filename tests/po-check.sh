#!/usr/bin/env bash
# po-check.sh SOURCE_ROOT [BUILD_ROOT] — the translations are complete (TAP)
#
# For the project: po/POTFILES.in names every file with translatable
# strings, and a template made from it right now (xgettext with the options
# of meson's "glib" preset, as the wirespeed-pot target uses) extracts.
# For each language in po/LINGUAS: msgfmt --check passes (format strings,
# plural forms, header, one mnemonic where the original has one); no
# message is fuzzy or untranslated; every message of the fresh template has
# a translation in the .po (a new _() string that nobody translated fails
# here: run `meson compile -C BUILDDIR wirespeed-update-po` and translate);
# and, given BUILD_ROOT, the compiled catalog is in the build tree.
#
# SPDX-License-Identifier: GPL-3.0-or-later
set -uo pipefail

src=${1:?usage: po-check.sh SOURCE_ROOT [BUILD_ROOT]}
build=${2:-}
po="$src/po"
package=wirespeed
# The tools' own messages are parsed below: read them in English.
export LC_ALL=C
unset LANGUAGE

n=0
failed=0
ok () {
  n=$((n + 1))
  echo "ok $n - $1"
}
not_ok () {
  n=$((n + 1))
  failed=1
  echo "not ok $n - $1"
}
diag () {
  sed 's/^/# /'
}

languages=()
if [[ -r "$po/LINGUAS" ]]; then
  while read -r line; do
    line=${line%%#*}
    for lang in $line; do
      languages+=("$lang")
    done
  done < "$po/LINGUAS"
fi

echo "1..$((3 + 4 * ${#languages[@]}))"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- POTFILES.in ----

# Listed files, relative to the source root, comments and blanks dropped.
listed () {
  sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$po/$1" 2>/dev/null
}

# Files that use the gettext macros (in C, or _() and N_() in the browser
# page's JavaScript), GtkBuilder's translatable="yes", or
# are merged with i18n.merge_file (*.desktop.in, *.metainfo.xml.in).
marked=$(
  cd "$src" || exit 1
  {
    grep -rlE --include='*.c' --include='*.h' \
      '(^|[^[:alnum:]_])(_|N_|C_|NC_|Q_|ngettext|g_dngettext|g_dpgettext2?|g_dcgettext)[[:space:]]*\(' src
    grep -rl --include='*.ui' 'translatable="yes"' src data
    grep -rlE --include='*.js' '(^|[^[:alnum:]_.])(_|N_)[[:space:]]*\(' data
    find data -name '*.desktop.in' -o -name '*.metainfo.xml.in'
  } | sort -u
)
missing=$(comm -23 <(printf '%s\n' "$marked" | sed '/^$/d') \
                   <({ listed POTFILES.in; listed POTFILES.skip; } | sort -u))
absent=$(listed POTFILES.in | while read -r f; do [[ -e "$src/$f" ]] || echo "$f"; done)
if [[ -z "$missing" && -z "$absent" ]]; then
  ok "POTFILES.in lists every file with translatable strings"
else
  not_ok "POTFILES.in lists every file with translatable strings"
  [[ -n "$missing" ]] && { echo "missing from po/POTFILES.in:"; echo "$missing"; } | diag
  [[ -n "$absent" ]] && { echo "listed but not found:"; echo "$absent"; } | diag
fi

# ---- A fresh template ----

# The arguments of meson's i18n.gettext(preset: 'glib'). The commas belong
# to xgettext's keyword specs ("C_:1c,2"), not to the array.
# shellcheck disable=SC2054
glib_preset=(
  --from-code=UTF-8 --add-comments
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2
  --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 --keyword=g_dpgettext2:2c,3
  --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format --flag=NC_:2:pass-c-format
  --flag=g_dngettext:2:pass-c-format --flag=g_strdup_printf:1:c-format
  --flag=g_string_printf:2:c-format --flag=g_string_append_printf:2:c-format
  --flag=g_error_new:3:c-format --flag=g_set_error:4:c-format
  --flag=g_markup_printf_escaped:1:c-format --flag=g_log:3:c-format
  --flag=g_print:1:c-format --flag=g_printerr:1:c-format --flag=g_printf:1:c-format
  --flag=g_fprintf:2:c-format --flag=g_sprintf:2:c-format --flag=g_snprintf:3:c-format
)
pot="$tmp/$package.pot"
if xgettext --package-name="$package" -f "$po/POTFILES.in" -D "$src" -k_ \
     "${glib_preset[@]}" -o "$pot" >"$tmp/xgettext.log" 2>&1 && [[ -s "$pot" ]]; then
  ok "xgettext extracts a template from POTFILES.in"
else
  not_ok "xgettext extracts a template from POTFILES.in"
  diag < "$tmp/xgettext.log"
fi

# ---- Each language ----

for lang in "${languages[@]}"; do
  file="$po/$lang.po"

  if msgfmt --check --check-accelerators=_ -o /dev/null "$file" >"$tmp/check.log" 2>&1; then
    ok "$lang: msgfmt --check passes"
  else
    not_ok "$lang: msgfmt --check passes"
    diag < "$tmp/check.log"
  fi

  # "230 translated messages." and nothing else: no fuzzy, no untranslated.
  stats=$(msgfmt --statistics -o /dev/null "$file" 2>&1)
  if [[ "$stats" =~ ^[0-9]+\ translated\ messages?\.$ ]]; then
    ok "$lang: every message translated, none fuzzy ($stats)"
  else
    not_ok "$lang: every message translated, none fuzzy"
    echo "$stats" | diag
  fi

  # msgcmp fails for each template message the .po lacks, or has only as
  # fuzzy or untranslated.
  if [[ -s "$pot" ]] && msgcmp --no-fuzzy-matching "$file" "$pot" >"$tmp/cmp.log" 2>&1; then
    ok "$lang: the .po translates every string in the sources"
  else
    not_ok "$lang: the .po translates every string in the sources"
    {
      cat "$tmp/cmp.log"
      if [[ -s "$pot" ]]; then
        echo "untranslated or fuzzy in po/$lang.po:"
        msgmerge --quiet --no-fuzzy-matching -o - "$file" "$pot" 2>/dev/null \
          | msgattrib --clear-fuzzy --empty 2>/dev/null \
          | msgattrib --untranslated --no-obsolete --no-wrap 2>/dev/null \
          | grep -E '^(msgctxt|msgid) ' | grep -v '^msgid ""$'
      fi
      echo "update it with: meson compile -C BUILDDIR $package-update-po, then translate"
    } | diag
  fi
  # Messages the sources no longer have are harmless: a note, not a failure.
  if [[ -s "$pot" ]] && ! msgcmp --use-untranslated --use-fuzzy --no-fuzzy-matching \
       "$pot" "$file" >/dev/null 2>&1; then
    echo "# $lang: the .po has messages the sources no longer use ($package-update-po drops them)"
  fi

  if [[ -z "$build" ]]; then
    ok "$lang: compiled catalog in the build tree # SKIP no build root given"
  elif [[ -s "$build/po/$lang/LC_MESSAGES/$package.mo" ]]; then
    ok "$lang: compiled catalog in the build tree"
  else
    not_ok "$lang: compiled catalog in the build tree"
    echo "no $build/po/$lang/LC_MESSAGES/$package.mo: after editing po/LINGUAS, run meson setup --reconfigure" | diag
  fi
done

# ---- Merged data files ----

# The desktop entry and the metainfo take their translations at build time;
# a translation that breaks their markup or keys fails there.
merge_ok=1
: > "$tmp/merge.log"
while read -r f; do
  case "$f" in
    *.desktop.in) kind=--desktop ;;
    *.xml.in) kind=--xml ;;
    *) continue ;;
  esac
  if ! msgfmt "$kind" --template="$src/$f" -d "$po" -o "$tmp/merged" >>"$tmp/merge.log" 2>&1; then
    merge_ok=0
    echo "$f" >> "$tmp/merge.log"
  fi
done < <(listed POTFILES.in)
if [[ $merge_ok == 1 ]]; then
  ok "the translations merge into the desktop entry and the metainfo"
else
  not_ok "the translations merge into the desktop entry and the metainfo"
  diag < "$tmp/merge.log"
fi

exit "$failed"

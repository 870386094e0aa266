#!/usr/bin/env bash
# The man page, vmexitprof(8): it renders with man -l without a warning
# from groff; it names every option --help lists, every metric family
# /metrics serves (the families' names from src/expose.c), and has the
# sections the reference needs.
. "$(dirname "$0")/../lib/common.sh"
page=${OUTPUT:-build}/vmexitprof.8
[[ -f $page && $page -nt docs/vmexitprof.8.scd ]] || die "$page is missing or older than its source; run 'make man'"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
MANWIDTH=100 man --warnings -l "$page" >"$tmp/man.txt" 2>"$tmp/warnings"
[[ ! -s $tmp/warnings ]] || die "man -l warned: $(cat "$tmp/warnings")"
# groff may hyphenate at a line's end: join those back before looking.
sed -e ':a' -e '/‐$/{N;s/‐\n *//;ba}' "$tmp/man.txt" >"$tmp/joined.txt"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS METRICS JSON "EXIT STATUS" EXAMPLES; do
	grep -q "^$section\$" "$tmp/joined.txt" || die "no $section section"
done
options=$(./vmexitprof --help | sed -n '/^OPTIONS:/,$p' | grep -oE -- '^ +(-[a-zA-Z], )?--[a-z][a-z-]*' |
	grep -oE -- '--[a-z][a-z-]*' | sort -u)
[[ $(wc -l <<<"$options") -ge 20 ]] || die "only $(wc -l <<<"$options") options in --help"
missing=()
for o in $options; do
	grep -qE -- "^ +(-[a-zA-Z], )?$o(=|\\[| |\$)" "$tmp/joined.txt" || missing+=("$o")
done
((${#missing[@]} == 0)) || die "options of --help the man page does not describe: ${missing[*]}"
families=$(grep -oE '"vmexitprof_[a-z_]+"' src/expose.c | tr -d '"' | sort -u)
for f in $families vmexitprof_port_accesses_total vmexitprof_mmio_handling_seconds; do
	grep -q -- "$f" "$tmp/joined.txt" || die "metric $f is not in the man page"
done
echo "$(wc -l <<<"$options") options and $(wc -w <<<"$families") metric names, $(wc -l <"$tmp/man.txt") lines, no warnings"

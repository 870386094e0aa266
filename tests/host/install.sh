#!/usr/bin/env bash
# make install and make uninstall with PREFIX and DESTDIR: the loader in
# sbin, vmexitprof(8), the systemd unit with ExecStart pointed at that
# sbin (and systemd-analyze verify content with it), bash completion, the
# dashboard; uninstall removes each of them again.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
make -s install DESTDIR="$dest" PREFIX=/usr >"$tmp/log" 2>&1 || die "make install: $(cat "$tmp/log")"
want=(usr/sbin/vmexitprof usr/share/man/man8/vmexitprof.8 usr/lib/systemd/system/vmexitprof.service
	usr/share/bash-completion/completions/vmexitprof usr/share/doc/vmexitprof/grafana/vmexitprof.json)
for f in "${want[@]}"; do
	[[ -f $dest/$f ]] || die "make install did not install /$f"
done
[[ -x $dest/usr/sbin/vmexitprof ]] || die "the installed vmexitprof is not executable"
"$dest/usr/sbin/vmexitprof" --version | grep -q '^vmexitprof ' || die "the installed vmexitprof does not run"
unit=$dest/usr/lib/systemd/system/vmexitprof.service
assert_eq "$(grep '^ExecStart=' "$unit")" "ExecStart=/usr/sbin/vmexitprof --prometheus 127.0.0.1:9560" "the unit's ExecStart"
MANPATH=$dest/usr/share/man man --warnings -w vmexitprof >/dev/null 2>&1 || die "man does not find vmexitprof(8) under MANPATH"
# The completion loads and completes an option.
out=$(bash -c '. /usr/share/bash-completion/bash_completion || exit 1
	. "$1"; COMP_WORDS=("$2" --prom); COMP_CWORD=1; COMP_LINE="$2 --prom"; COMP_POINT=${#COMP_LINE}
	_vmexitprof; echo "${COMPREPLY[*]}"' _ "$dest/usr/share/bash-completion/completions/vmexitprof" \
	"$dest/usr/sbin/vmexitprof")
assert_eq "$out" --prometheus "the completion of --prom"
if command -v systemd-analyze >/dev/null; then
	# Verified as installed to /usr/local: the unit pointed at the installed binary.
	sed "s|^ExecStart=/usr/sbin/|ExecStart=$dest/usr/sbin/|" "$unit" >"$tmp/vmexitprof.service"
	MANPATH=$dest/usr/share/man systemd-analyze verify "$tmp/vmexitprof.service" >"$tmp/verify" 2>&1 ||
		die "systemd-analyze verify: $(cat "$tmp/verify")"
fi
make -s uninstall DESTDIR="$dest" PREFIX=/usr >"$tmp/log" 2>&1 || die "make uninstall: $(cat "$tmp/log")"
left=$(find "$dest" -type f)
[[ -z $left ]] || die "make uninstall left: $left"
echo "installed ${#want[@]} files under PREFIX=/usr DESTDIR, uninstalled them"

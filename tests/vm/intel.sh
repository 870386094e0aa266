# Sourced by tests/vm/run for --cpu intel, with the kernel fetched and the
# cache lock (fd 9) held: builds the initramfs and a GRUB ISO, boots it in
# Bochs (an Intel CPU with VMX and EPT, so kvm_intel loads and real VMX
# exits happen), and hands back COMMAND's output and exit status.
#
# Bochs has no devices to share files with the host, so everything the
# guest runs is in the initramfs (static binaries: it has no libraries),
# and the guest talks back over its four serial ports, each a file here:
#   ttyS0  the kernel console and the rig's markers (VMRUN-START,
#          VMRUN-ERROR: ..., VMRUN-EXIT=N), from tests/vm/init-intel
#   ttyS1  COMMAND's stdout      ttyS2  COMMAND's stderr
#   ttyS3  $VMRUN_SHARE at the end, as base64 of a tar archive
# What made the boot fast (measured on one of our machines, issue 13): the
# cloud kernel (zstd), modules without their signatures (checking kvm.ko's
# took about 8 s), an uncompressed initramfs, rcu_expedited (removing BPF
# programs took 6 s without), one emulated CPU.

# Variables from tests/vm/run: prog here cache kdir release vmlinuz cpus mem
# timeout_s idle_timeout verbose bochs_cpu and COMMAND in "$@".
repo=$(cd "$here/../.." && pwd)
bochs_share=/usr/share/bochs/BIOS-bochs-latest
vgabios=/usr/share/vgabios/vgabios.bin
for f in "$bochs_share" "$vgabios" /usr/lib/grub/i386-pc/cdboot.img; do
	[[ -e $f ]] || die "$f is missing; run 'make deps' (bochsbios, vgabios, grub-pc-bin)"
done
ls /usr/lib/x86_64-linux-gnu/bochs/plugins/libbx_term_gui.so* >/dev/null 2>&1 ||
	die "Bochs's term display is missing; run 'make deps' (bochs-term)"
[[ -x /bin/bash-static ]] || die "/bin/bash-static is missing; run 'make deps' (bash-static)"
for f in vmexitprof testvmm; do
	[[ -x $repo/build/static/$f ]] || die "build/static/$f is missing; run 'make static'"
done
# A stale static build would test old code (it is not rebuilt with 'make').
stale() { # BINARY SOURCE...: the first source newer than BINARY
	local bin=$1 src
	shift
	for src; do [[ $bin -nt $src ]] || { echo "$src"; return; }; done
}
newer=$(cd "$repo" && stale build/static/vmexitprof src/*.c bpf/*.[ch] include/*.h)
[[ -z $newer ]] || die "build/static/vmexitprof is older than $newer; run 'make static'"
newer=$(cd "$repo" && stale build/static/testvmm tests/vmm/*.[chS])
[[ -z $newer ]] || die "build/static/testvmm is older than $newer; run 'make static'"

# --- the kernel's part of the initramfs, cached per kernel -----------------
# busybox, bash, our /init, and kvm_intel with what it needs, decompressed
# and without the signature appended to each module.
modules=(kvm_intel)
strip_sig() {
	python3 - "$1" "$2" <<'PY'
import sys
magic = b"~Module signature appended~\n"
data = open(sys.argv[1], "rb").read()
if data.endswith(magic):
    # struct module_signature (12 bytes) ends in the signature's length, big-endian.
    sig_len = int.from_bytes(data[-len(magic) - 4:-len(magic)], "big")
    data = data[:-(len(magic) + 12 + sig_len)]
open(sys.argv[2], "wb").write(data)
PY
}
# Keyed by everything that goes in, and by this recipe.
base_key=$( (cat "$here/init-intel" "$here/intel.sh" /bin/busybox /bin/bash-static; printf '%s\n' "${modules[@]}") |
	sha256sum | cut -c1-16)
base=$kdir/intel-base-$base_key.cpio
if [[ ! -s $base ]]; then
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,root,var/tmp,lib/modules,usr/bin}
	cp /bin/busybox "$root/bin/busybox"
	cp /bin/bash-static "$root/bin/bash"
	# For scripts that start with #!/usr/bin/env bash.
	ln -s /bin/busybox "$root/usr/bin/env"
	cp "$here/init-intel" "$root/init"
	chmod 755 "$root/init"
	modprobe -d "$kdir" -S "$release" --show-depends -a "${modules[@]}" |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=$(basename "$ko")
			case $name in
			*.xz) xz -dc "$ko" >"$root/tmp/m.ko"; name=${name%.xz} ;;
			*) cp "$ko" "$root/tmp/m.ko" ;;
			esac
			strip_sig "$root/tmp/m.ko" "$root/lib/modules/$name"
			rm "$root/tmp/m.ko"
			echo "$name" >>"$root/lib/modules/load.order"
		done
	[[ -s $root/lib/modules/load.order ]] || { rm -rf "$root"; die "cannot resolve the guest's modules (${modules[*]}) in $kdir"; }
	(cd "$root" && find . | cpio -o -H newc --quiet) >"$base.tmp"
	mv "$base.tmp" "$base"
	rm -rf "$root"
fi

# --- this run's part: the checkout's tests, the static builds, COMMAND -----
payload=$(mktemp -d)
trap 'rm -rf "$payload"' EXIT
tree=$payload/tree
mkdir -p "$tree/rig/tests/vmm"
# The tracked and new files under tests/ (not the ignored build outputs).
(cd "$repo" && { git ls-files -co --exclude-standard -z tests 2>/dev/null || find tests -type f -print0; }) |
	(cd "$repo" && xargs -0 -r cp --parents -t "$tree/rig") ||
	die "cannot copy $repo/tests into the initramfs"
cp "$repo/build/static/vmexitprof" "$tree/rig/vmexitprof"
cp "$repo/build/static/testvmm" "$tree/rig/tests/vmm/testvmm"
{
	echo 'export PATH=/bin HOME=/root VMRUN_SHARE=/run/vmrun VMEXITPROF_IN_RIG=1 VMRUN_CPU=intel'
	printf 'export VMRUN_KERNEL=%q\n' "$kernel"
	for var in TERM NO_COLOR CI V; do
		[[ -n ${!var+set} ]] && printf 'export %s=%q\n' "$var" "${!var}"
	done
	printf 'cd /rig || exit 125\n'
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$tree/rig/.cmd.sh"
# Fixed times and order: the same inputs make the same archive, and so the same key.
(cd "$tree" && find . -mindepth 1 -exec touch -h -d @0 {} + &&
	find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$payload/payload.cpio" ||
	die "cannot pack the initramfs"

# --- the ISO: GRUB with the kernel and both archives, cached by content ----
cmdline="console=ttyS0,115200 panic=-1 quiet cryptomgr.notests mitigations=off nokaslr rcupdate.rcu_expedited=1 rdinit=/init"
iso_key=$( (echo "$release $cmdline"; cat "$base" "$payload/payload.cpio") | sha256sum | cut -c1-16)
iso_dir=$cache/intel-iso
iso=$iso_dir/$iso_key.iso
mkdir -p "$iso_dir"
if [[ ! -s $iso ]]; then
	iso_tree=$payload/iso
	mkdir -p "$iso_tree/boot/grub"
	cp "$vmlinuz" "$iso_tree/boot/vmlinuz"
	cp "$base" "$iso_tree/boot/base.cpio"
	cp "$payload/payload.cpio" "$iso_tree/boot/payload.cpio"
	cat >"$iso_tree/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_output serial console
set timeout=0
menuentry rig {
	linux /boot/vmlinuz $cmdline
	initrd /boot/base.cpio /boot/payload.cpio
}
EOF
	grub-mkrescue -o "$iso.tmp" "$iso_tree" >"$payload/grub.log" 2>&1 ||
		die "grub-mkrescue failed: $(tail -n 1 "$payload/grub.log")"
	mv "$iso.tmp" "$iso"
	# Every COMMAND makes its own ISO: keep the last few.
	ls -t "$iso_dir"/*.iso | tail -n +5 | xargs -r rm -f
fi
touch "$iso"
flock -u 9

# --- the run ----------------------------------------------------------------
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/vmrun.XXXXXX")
bochs_pid="" script_pid="" watchdog_pid="" stream_pids=()
cleanup() {
	[[ -n $bochs_pid ]] && kill -TERM "$bochs_pid" 2>/dev/null
	[[ -n $script_pid ]] && wait "$script_pid" 2>/dev/null
	[[ -n $watchdog_pid ]] && kill "$watchdog_pid" 2>/dev/null
	rm -rf "$run_dir" "$payload"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
console=$run_dir/console.log
touch "$console" "$run_dir"/{stdout,stderr,share}.ser
cat >"$run_dir/bochsrc" <<EOF
megs: $mem
cpu: model=$bochs_cpu, count=$cpus, ips=20000000
romimage: file=$bochs_share
vgaromimage: file=$vgabios
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$console
com2: enabled=1, mode=file, dev=$run_dir/stdout.ser
com3: enabled=1, mode=file, dev=$run_dir/stderr.ser
com4: enabled=1, mode=file, dev=$run_dir/share.ser
display_library: term
clock: sync=none
panic: action=fatal
error: action=ignore
log: $run_dir/bochs.log
EOF
# Bochs stops at its debugger prompt and wants a terminal: script gives it
# one, and "c" continues. It exits 1 even after a clean power-off, so the
# console's markers say how the run went. The inner timeout is the one
# that kills Bochs; its pid is in bochs.pid.
echo c >"$run_dir/cmds"
set +e
script -qec "sh -c 'echo \$\$ >$run_dir/bochs.pid; exec timeout --kill-after=5 $timeout_s bochs -q -f $run_dir/bochsrc -rc $run_dir/cmds'" \
	/dev/null </dev/null >"$run_dir/term.out" 2>&1 &
script_pid=$!
for _ in $(seq 100); do
	[[ -s $run_dir/bochs.pid ]] && break
	sleep 0.05
done
bochs_pid=$(cat "$run_dir/bochs.pid" 2>/dev/null)
# COMMAND's output streams: each serial file is copied as it grows (the
# guest turned off the carriage returns a tty adds).
tail -c +1 -F --pid="$script_pid" "$run_dir/stdout.ser" 2>/dev/null &
stream_pids+=($!)
tail -c +1 -F --pid="$script_pid" "$run_dir/stderr.ser" >&2 2>/dev/null &
stream_pids+=($!)
lockup_pattern='soft lockup - CPU|rcu_sched self-detected stall|rcu_preempt self-detected stall|rcu: INFO: rcu_(sched|preempt) detected stalls|Kernel panic'
(
	while kill -0 "$script_pid" 2>/dev/null; do
		if grep -a -q -E "$lockup_pattern" "$console" 2>/dev/null; then
			touch "$run_dir/locked-up"
			kill "$bochs_pid" 2>/dev/null
			break
		fi
		if ((idle_timeout)); then
			last=$(stat -c %Y "$run_dir"/{stdout,stderr}.ser "$console" 2>/dev/null | sort -n | tail -n 1)
			if (($(date +%s) - ${last:-0} > idle_timeout)); then
				touch "$run_dir/idle"
				kill "$bochs_pid" 2>/dev/null
				break
			fi
		fi
		sleep 2
	done
) &
watchdog_pid=$!
wait "$script_pid"
bochs_rc=$?
script_pid="" bochs_pid=""
kill "$watchdog_pid" 2>/dev/null
wait "$watchdog_pid" 2>/dev/null
watchdog_pid=""
wait "${stream_pids[@]}" 2>/dev/null
set -e

if [[ -n ${VMRUN_OUT:-} ]] && grep -a -q 'VMRUN-SHARE-END' "$run_dir/share.ser"; then
	mkdir -p "$VMRUN_OUT"
	sed -n '/VMRUN-SHARE-BEGIN/,/VMRUN-SHARE-END/p' "$run_dir/share.ser" | tr -d '\r' | sed '1d;$d' |
		base64 -d | tar -x -m -C "$VMRUN_OUT" ||
		echo "$prog: cannot unpack \$VMRUN_SHARE from the guest" >&2
fi
((verbose)) && { echo "--- guest console ---" >&2; tr -d '\r' <"$console" >&2; }

show_console_tail() {
	echo "--- last lines of the guest console ---" >&2
	tail -n 20 "$console" 2>/dev/null | tr -d '\r' >&2 || true
	grep -a -E '^[0-9]+[pe]\[' "$run_dir/bochs.log" 2>/dev/null | tail -n 3 >&2 || true
}
if [[ -e $run_dir/locked-up ]]; then
	echo "$prog: the guest kernel locked up ($(grep -a -m1 -o -E "$lockup_pattern" "$console")); Bochs was killed (kernel $release)" >&2
	show_console_tail
	exit 125
fi
if [[ -e $run_dir/idle ]]; then
	echo "$prog: no output for ${idle_timeout}s, the guest looks hung; Bochs was killed (kernel $release)" >&2
	show_console_tail
	exit 125
fi
if ((bochs_rc == 124 || bochs_rc == 137)); then
	echo "$prog: timed out after ${timeout_s}s; Bochs was killed" >&2
	show_console_tail
	exit 124
fi
err=$(grep -a -m1 -o 'VMRUN-ERROR: .*' "$console" 2>/dev/null | tr -d '\r' || true)
if [[ -n $err ]]; then
	echo "$prog: ${err#VMRUN-ERROR: } (kernel $release, Bochs $bochs_cpu)" >&2
	exit 125
fi
rc=$(grep -a -o 'VMRUN-EXIT=[0-9]*' "$console" 2>/dev/null | tail -n 1 | cut -d= -f2 || true)
if [[ -z $rc ]]; then
	echo "$prog: the guest stopped before COMMAND finished (Bochs exit status $bochs_rc, kernel $release)" >&2
	show_console_tail
	exit 125
fi
exit "$rc"

#!/usr/bin/env bash
# A suite that loses a test must fail, not pass by saying less:
#  - tests/lib/run-suite fails a test file that is not executable (it
#    used to skip it without a word);
#  - tests/lib/check-results, which tests/run-all runs after every suite,
#    prints a FAIL line for each test of the suite with no result line;
#  - tests/vm/run's set-up steps that can fail (depmod, the module list,
#    the initramfs on a full disk, mv) exit 125, the rig's own failure,
#    never 1, which tests/run-all would take for a suite that ran. depmod
#    and cpio cannot be made to fail on demand: they are mocked (with
#    modprobe), with a fake kernel package from a mocked apt.
. "$(dirname "$0")/../lib/common.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run-suite and a test without its run bit.
mkdir "$tmp/suite"
printf '#!/bin/sh\nexit 0\n' >"$tmp/suite/ok.sh"
printf '#!/bin/sh\nexit 0\n' >"$tmp/suite/nobit.sh"
chmod +x "$tmp/suite/ok.sh"
rc=0
out=$(tests/lib/run-suite "$tmp/suite" demo) || rc=$?
assert_eq "$rc" 1 "run-suite's status with a test that is not executable"
assert_match "$out" "FAIL: demo/nobit \(not executable" "run-suite names the test"
assert_match "$out" "PASS: demo/ok" "the other test still runs"

# check-results: one test of three has no result.
touch "$tmp/suite/third.sh"
printf 'PASS: demo/ok (0s)\nFAIL: demo/nobit (exit 1, 0s)\n' >"$tmp/results"
out=$(tests/lib/check-results demo "$tmp/suite" "$tmp/results")
assert_eq "$out" "FAIL: demo/third (no result: the suite stopped before it, or its rig failed)" "missing result"
printf 'PASS: demo/ok (0s)\nFAIL: demo/nobit (exit 1, 0s)\nSKIP: demo/third (x)\n' >"$tmp/results"
assert_eq "$(tests/lib/check-results demo "$tmp/suite" "$tmp/results")" "" "nothing missing"

# tests/vm/run's set-up, with a fake kernel package and a fresh cache.
rel=9.9.9-fake
pkg=$tmp/pkg
mkdir -p "$pkg/DEBIAN" "$pkg/boot" "$pkg/lib/modules/$rel/kernel"
printf 'Package: linux-image-%s\nVersion: 1\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: fake\n' "$rel" >"$pkg/DEBIAN/control"
echo fake >"$pkg/boot/vmlinuz-$rel"
for m in kvm kvm-amd 9pnet 9p 9pnet_virtio virtio_pci virtio_console; do echo >"$pkg/lib/modules/$rel/kernel/$m.ko"; done
dpkg-deb -b "$pkg" "$tmp/linux-image-${rel}_1_amd64.deb" >/dev/null
mkdir "$tmp/bin"
cat >"$tmp/bin/apt-cache" <<SH
#!/bin/sh
echo "linux-image-amd64"
echo "  Depends: linux-image-$rel"
SH
cat >"$tmp/bin/apt-get" <<SH
#!/bin/sh
cp "$tmp/linux-image-${rel}_1_amd64.deb" .
SH
# depmod and modprobe on the fake modules: depmod fails when told to, and
# modprobe lists them in load order as the real one would.
printf '#!/bin/sh\n[ -z "$FAIL_DEPMOD" ]\n' >"$tmp/bin/depmod"
cat >"$tmp/bin/modprobe" <<'SH'
#!/bin/sh
for m in kvm kvm-amd 9pnet 9p 9pnet_virtio virtio_pci virtio_console; do
	echo "insmod $2/lib/modules/$4/kernel/$m.ko"
done
SH
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/cpio-fails"
chmod +x "$tmp/bin"/*
run_fake() { VMEXITPROF_CACHE=$tmp/cache-$1 PATH=$tmp/bin:$PATH tests/vm/run --kernel 6.1 -- true; }

FAIL_DEPMOD=1 expect_status 125 run_fake depmod
assert_match "$err" "^tests/vm/run: cannot index the 6.1 kernel's modules \(depmod" "depmod failure"
assert_eq "$(wc -l <<<"$err")" 1 "depmod failure: one line"

ln -s "$tmp/bin/cpio-fails" "$tmp/bin/cpio"
expect_status 125 run_fake cpio
assert_match "$err" "^tests/vm/run: cannot write the initramfs" "cpio failure"
assert_eq "$(wc -l <<<"$err")" 1 "cpio failure: one line"
echo "run-suite, check-results and tests/vm/run's set-up fail as they should"

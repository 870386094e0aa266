#!/usr/bin/env bash
# The Intel rig booted what it should: Debian's 6.12 cloud kernel on an
# emulated CPU with VMX and EPT, kvm_intel loaded with ept and
# unrestricted_guest, /dev/kvm, kvm_intel's module BTF (for CO-RE), and
# kvm_exit's format naming VMX reasons (from tests/rig-vmx/guest/kernel.sh).
. "$(dirname "$0")/../lib/common.sh"
python3 - <<'PY'
import sys
sys.path.insert(0, "tests/lib")
from rigvmx import *

d = scenario("kernel")
uname = text(d, "uname").strip()
check(uname.startswith("6.12.") and uname.endswith("-cloud-amd64"), f"guest kernel {uname!r}")
flags = text(d, "cpu-flags").split()
check("vmx" in flags, f"no vmx among the guest CPU's flags: {' '.join(flags)}")
vmx_flags = text(d, "vmx-flags").split()
for f in ("ept", "unrestricted_guest"):
    check(f in vmx_flags, f"no {f} among the guest CPU's VMX flags: {' '.join(vmx_flags)}")
params = text(d, "kvm_intel-parameters").split()
check(params == ["ept=Y", "unrestricted_guest=Y"], f"kvm_intel parameters {params}")
btf = text(d, "btf").split()
check({"vmlinux", "kvm", "kvm_intel"} <= set(btf), f"BTF in /sys/kernel/btf: {btf}")
check(text(d, "dev-kvm").startswith("c"), f"/dev/kvm: {text(d, 'dev-kvm')}")
names = vmx_names(text(d, "kvm_exit-format"))
want = {10: "CPUID", 12: "HLT", 30: "IO_INSTRUCTION", 31: "MSR_READ", 32: "MSR_WRITE",
        33: "INVALID_STATE", 48: "EPT_VIOLATION", 49: "EPT_MISCONFIG"}
check({k: names.get(k) for k in want} == want, f"VMX names in kvm_exit's format: {names}")
print(uname, "| kvm_intel", " ".join(params), "|", len(names), "VMX reason names")
finish()
PY

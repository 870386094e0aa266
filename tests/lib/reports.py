"""Helpers for tests that read vmexitprof --json and testvmm ground truth."""
import json
import sys

# SVM exit codes (arch/x86/include/uapi/asm/svm.h); the rig emulates AMD.
SVM_CPUID, SVM_HLT, SVM_IOIO, SVM_NPF = 0x72, 0x78, 0x7B, 0x400
# VMX basic exit reasons (arch/x86/include/uapi/asm/vmx.h); the Intel rig
# (Bochs). A failed VM entry has bit 31 set in the kernel's exit reason.
VMX_EXTERNAL_INTERRUPT, VMX_CPUID, VMX_HLT, VMX_IO = 1, 10, 12, 30
VMX_MSR_READ, VMX_MSR_WRITE, VMX_INVALID_STATE = 31, 32, 33
VMX_EPT_VIOLATION, VMX_EPT_MISCONFIG = 48, 49
VMX_FAILED_VMENTRY = 0x80000000

errors = []


def check(ok, what):
    if not ok:
        errors.append(what)
    return ok


def finish():
    for e in errors:
        print("assertion failed:", e)
    sys.exit(1 if errors else 0)


def load(path):
    with open(path) as f:
        return json.load(f)


def by_code(reasons, isa="svm"):
    return {r["code"]: r for r in reasons if r["isa"] == isa}


def count(reasons, code, isa="svm"):
    r = by_code(reasons, isa).get(code)
    return r["count"] if r else 0


def io_exits(caused):
    """A vCPU's port exits that re-entered the guest: its data-port writes and
    reads and its control writes, but the thread's last exit, its final
    control write, which never re-enters (it is pending, not counted)."""
    return caused["pio"] + caused["pio_in"] + caused["control"] - 1


def mmio_exits(caused):
    """A vCPU's MMIO accesses: byte writes and byte reads, all to the VMM."""
    return caused["mmio"] + caused["mmio_read"]


def check_exit_counts(rows, caused, where):
    """One vCPU's kvm_exit rows against testvmm's ground truth: CPUID, IO and
    HLT exact, NPF at least one per MMIO access (first touches add more)."""
    io = io_exits(caused)
    for code, name, want in ((SVM_CPUID, "cpuid", caused["cpuid"]), (SVM_IOIO, "io", io),
                             (SVM_HLT, "hlt", caused["hlt"])):
        check(count(rows, code) == want, f"{where}: {name} {count(rows, code)} != {want}")
    check(count(rows, SVM_NPF) >= mmio_exits(caused), f"{where}: npf {count(rows, SVM_NPF)} < {mmio_exits(caused)}")


def check_vmx_exit_counts(rows, caused, where):
    """check_exit_counts on VMX (the Intel rig): CPUID, IO, HLT, MSR_READ and
    MSR_WRITE exact, no failed entry among them. An MMIO write is an
    EPT_MISCONFIG once KVM has cached the page as MMIO, and an EPT_VIOLATION
    before: the MMIO writes are the ones of those two that went on to the VMM."""
    vmx = by_code(rows, "vmx")
    io = io_exits(caused)
    for code, name, want in ((VMX_CPUID, "CPUID", caused["cpuid"]), (VMX_IO, "IO_INSTRUCTION", io),
                             (VMX_HLT, "HLT", caused["hlt"]), (VMX_MSR_READ, "MSR_READ", caused["rdmsr"]),
                             (VMX_MSR_WRITE, "MSR_WRITE", caused["wrmsr"])):
        r = vmx.get(code)
        check((r["count"] if r else 0) == want, f"{where}: {name} {r['count'] if r else 0} != {want}")
        check(r is None or (r["name"] == name and not r["failed_vmentry"]), f"{where}: row {r}")
    mmio = sum(vmx[c]["to_userspace"] for c in (VMX_EPT_VIOLATION, VMX_EPT_MISCONFIG) if c in vmx)
    check(mmio == mmio_exits(caused), f"{where}: EPT_VIOLATION+EPT_MISCONFIG to the VMM {mmio} != mmio {mmio_exits(caused)}")
    check(all(r["isa"] == "vmx" for r in rows), f"{where}: rows not all VMX: {[(r['isa'], r['name']) for r in rows]}")


def check_vm_exit_counts(vm, truth, where):
    """check_exit_counts for each vCPU of one testvmm VM (a --per-vcpu report)."""
    vcpus = {v["vcpu"]: v["reasons"] for v in vm["vcpus"]}
    for v in truth["vcpus"]:
        check_exit_counts(vcpus.get(v["id"], []), v["caused"], f"{where}, vcpu {v['id']}")


def check_latencies(rows, where):
    """min <= p50 <= p99 <= p99.9 <= max and avg in [min, max], for every row."""
    for r in rows:
        name = f"{where} {r['name']}"
        check(r["min_ns"] <= r["p50_ns"] <= r["p99_ns"] <= r["p999_ns"] <= r["max_ns"],
              f"{name}: percentiles out of order {r}")
        check(r["min_ns"] <= r["avg_ns"] <= r["max_ns"], f"{name}: avg outside [min, max] {r}")
        check(r["total_ns"] >= r["count"] * r["min_ns"], f"{name}: total below count*min {r}")
        check(r["total_ns"] <= r["count"] * r["max_ns"], f"{name}: total above count*max {r}")


def check_io_tallies(vm, truth, where):
    """--ports/--mmio of one testvmm VM: every data-port and MMIO write and
    read went to the VMM and was handled; the control-port writes too, but
    the last of each thread (it never re-enters)."""
    def total(cause):
        return sum(v["caused"][cause] for v in truth["vcpus"])
    pio, pio_in, mmio, mmio_read = total("pio"), total("pio_in"), total("mmio"), total("mmio_read")
    control = total("control")
    threads = len(truth["vcpus"])
    ports = {(p["port"], p["dir"], p["size"]): p for p in vm["ports"]}
    pages = {(p["gpa_page"], p["dir"], p["size"]): p for p in vm["mmio"]}
    want_ports = {(0x6000, "write", 1): (pio, pio, pio)} if pio else {}
    if pio_in:
        want_ports[(0x6000, "read", 1)] = (pio_in, pio_in, pio_in)
    want_ports[(0x6001, "write", 1)] = (control, control, control - threads)
    got = {k: (p["count"], p["to_userspace"], p["handled"]) for k, p in ports.items()}
    check(got == want_ports, f"{where}: ports (count, to VMM, handled) {got} != {want_ports}")
    want_pages = {(0xE0000, "write", 1): (mmio, mmio, mmio)} if mmio else {}
    if mmio_read:
        want_pages[(0xE0000, "read", 1)] = (mmio_read, mmio_read, mmio_read)
    got = {k: (p["count"], p["to_userspace"], p["handled"]) for k, p in pages.items()}
    check(got == want_pages, f"{where}: MMIO pages {got} != {want_pages}")


def check_userspace(vm, truth, where, hlt_sleep_ns=0):
    """Per vCPU of one testvmm VM: returns to userspace per KVM_EXIT reason equal
    to testvmm's KVM_RUN returns, and a handling time for each but the thread's
    last return (a control-port write it never re-enters after)."""
    vcpus = {v["vcpu"]: v for v in vm["vcpus"]}
    for v in truth["vcpus"]:
        rows = {u["reason"]: u for u in vcpus.get(v["id"], {}).get("userspace", [])}
        got = {k: u["count"] for k, u in rows.items()}
        want = {k: n for k, n in v["kvm_run_returns"].items() if k != "EINTR" and n}
        check(got == want, f"{where} vcpu {v['id']}: returns to userspace {got} != testvmm's {want}")
        c = v["caused"]
        handled = {k: (u["handling"] or {}).get("count", 0) for k, u in rows.items()}
        want = {"IO": io_exits(c), "MMIO": mmio_exits(c), "HLT": c["hlt"]}
        check(handled == {k: n for k, n in want.items() if n or k in handled},
              f"{where} vcpu {v['id']}: handled {handled} != {want}")
        hlt = rows.get("HLT", {}).get("handling") or {}
        if hlt_sleep_ns and hlt:
            check(hlt["min_ns"] >= hlt_sleep_ns, f"{where} vcpu {v['id']}: HLT handling {hlt} "
                  f"under testvmm's {hlt_sleep_ns} ns sleep")
        check_latencies([dict(h["handling"], name=k) for k, h in rows.items() if h["handling"]],
                        f"{where} vcpu {v['id']} handling")

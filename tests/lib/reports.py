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


SVM_MSR = 0x7C


def check_msr_cpuid_halt(truth, prof, trace):
    """--msr, --cpuid and --halt of one testvmm VM (tests/host/
    vmexitprof-msr-cpuid-halt.sh): the MSR and CPUID rows against testvmm's
    own list of its guest's accesses, exactly; the halts per vCPU, kind and
    valid against kvm:kvm_vcpu_wakeup's records (trace: a tracefs instance's
    "trace" text), count and ns sum exactly. Where kvm_exit fired: each
    row's exits timed and adding up to its exit reason exactly, a
    wake-to-entry time for every wakeup, and halts plus wake-to-entry
    inside the HLT exits. SVM's exit codes or VMX's, whichever the report has."""
    import re
    vms = [vm for vm in prof["vms"] if vm["pid"] == truth["pid"]]
    if not check(len(vms) == 1, "the VM is in the report"):
        return
    vm = vms[0]
    tids = {v["tid"]: v["id"] for v in truth["vcpus"]}
    fired = prof["kvm_exit_fired"]
    isa = "vmx" if any(r["isa"] == "vmx" for r in vm["reasons"]) else "svm"
    if isa == "vmx":
        msr_codes = {"read": [VMX_MSR_READ], "write": [VMX_MSR_WRITE]}
        cpuid_code, hlt_code = VMX_CPUID, VMX_HLT
    else:
        msr_codes = {"read": [SVM_MSR], "write": [SVM_MSR]}
        cpuid_code, hlt_code = SVM_CPUID, SVM_HLT

    # --msr and --cpuid: the VM's rows, all vCPUs together.
    want = {}
    for v in truth["vcpus"]:
        check(v["extras_done"], f"vCPU {v['id']}: testvmm's extras done")
        for m in v["msrs"]:
            c = want.setdefault((m["msr"], m["dir"]), [0, 0])
            c[0] += m["count"]
            c[1] += m["faults"]
    got = {(r["msr"], r["dir"]): [r["count"], r["faults"]] for r in vm["msrs"]}
    check(got == want, f"MSR rows (count, faults) {got} != testvmm's {want}")
    check(any(f for _, f in want.values()), "some MSR access faulted")
    names = {r["msr"]: r["name"] for r in vm["msrs"]}
    check(names.get(0x8b) == "IA32_UCODE_REV" and names.get(0x838) == "X2APIC_TMICT" and
          names.get(0xdead) is None, f"MSR names {names}")
    want = {}
    for v in truth["vcpus"]:
        for c in v["cpuid_leaves"]:
            want[(c["leaf"], c["subleaf"])] = want.get((c["leaf"], c["subleaf"]), 0) + c["count"]
    got = {(r["leaf"], r["subleaf"]): r["count"] for r in vm["cpuid"]}
    check(got == want, f"CPUID rows {got} != testvmm's {want}")
    for r in vm["msrs"] + vm["cpuid"]:
        if fired:
            check(r["exits_timed"] == r["count"], f"every exit of {r} timed")
            check(0 < r["exit_min_ns"] <= r["exit_total_ns"] / r["count"] <= r["exit_max_ns"],
                  f"exit times in order: {r}")
        else:
            check(r["exits_timed"] == 0, f"no exit timed without kvm_exit: {r}")
    if fired:
        reasons = by_code(vm["reasons"], isa)
        groups = [([cpuid_code], vm["cpuid"], "cpuid")]
        if isa == "vmx":
            groups += [(msr_codes[d], [r for r in vm["msrs"] if r["dir"] == d], "msr " + d)
                       for d in ("read", "write")]
        else:
            groups.append((msr_codes["read"], vm["msrs"], "msr"))
        for codes, rows, what in groups:
            n = sum(r["exits_timed"] for r in rows)
            t = sum(r["exit_total_ns"] for r in rows)
            rn = sum(reasons[c]["count"] for c in codes if c in reasons)
            rt = sum(reasons[c]["total_ns"] for c in codes if c in reasons)
            check((n, t) == (rn, rt), f"{what} rows' exits (count {n}, total {t}) != the exit "
                  f"reason's ({rn}, {rt})")

    # --halt: per vCPU, against kvm_vcpu_wakeup's own records ("wait"/"poll", ns, valid).
    oracle = {}
    for line in trace.splitlines():
        m = re.search(r"-(\d+)\s+\[\d+\].*kvm_vcpu_wakeup: (wait|poll) time (\d+) ns, "
                      r"polling (valid|invalid)", line)
        if m and int(m.group(1)) in tids:
            k = (tids[int(m.group(1))], "blocked" if m.group(2) == "wait" else "polled",
                 m.group(4) == "valid")
            c = oracle.get(k, (0, 0))
            oracle[k] = (c[0] + 1, c[1] + int(m.group(3)))
    got = {}
    for v in vm["vcpus"]:
        for h in v["halts"]:
            if h["kind"] in ("polled", "blocked"):
                got[(v["vcpu"], h["kind"], h["valid"])] = (h["count"], h["total_ns"])
    check(got == oracle, f"halts per (vCPU, kind, valid): (count, total ns) {got} != "
          f"kvm_vcpu_wakeup's {oracle}")
    for v in truth["vcpus"]:
        th = v["timed_hlts"]
        mine = {k: c for k, c in got.items() if k[0] == v["id"]}
        n = sum(c[0] for c in mine.values())
        blocked = sum(c[0] for k, c in mine.items() if k[1] == "blocked")
        # A HLT whose interrupt came first takes no halt at all: at most one each.
        check(0 < n <= th["quick"] + th["late"], f"vCPU {v['id']}: {n} halts for {th}")
        check(blocked >= th["late"],
              f"vCPU {v['id']}: {blocked} blocked halts, fewer than the {th['late']} late HLTs")
    vm_halts = {(h["kind"], h["valid"]): h["count"] for h in vm["halts"]}
    check(sum(vm_halts.get((k, True), 0) for k in ("polled", "blocked")) ==
          sum(c[0] for c in got.values()), f"the VM's halts {vm_halts} are its vCPUs'")
    for v in vm["vcpus"]:
        halts = [h for h in v["halts"] if h["kind"] in ("polled", "blocked")]
        wakes = [h for h in v["halts"] if h["kind"] in ("wake_polled", "wake_blocked")]
        if not halts:
            continue
        if not fired:
            check(not wakes, f"vCPU {v['vcpu']}: no wake-to-entry without kvm_entry: {wakes}")
            continue
        for kind in ("polled", "blocked"):
            n = sum(h["count"] for h in halts if h["kind"] == kind)
            w = sum(h["count"] for h in wakes if h["kind"] == "wake_" + kind)
            check(n == w, f"vCPU {v['vcpu']}: {n} {kind} halts, {w} wake-to-entry times")
        hlt = by_code(v["reasons"], isa).get(hlt_code)
        inside = sum(h["total_ns"] for h in halts + wakes)
        if check(hlt, f"vCPU {v['vcpu']}: hlt exits"):
            check(inside <= hlt["total_ns"], f"vCPU {v['vcpu']}: halts and wake-to-entry "
                  f"({inside} ns) do not fit in the HLT exits ({hlt['total_ns']} ns)")
    check(prof["counters"]["halt_dropped"] == 0, f"halt_dropped {prof['counters']['halt_dropped']}")

#!/usr/bin/env python3
"""The benchmark's measurements; bench/run drives them, bench/table.py renders.

Each subcommand prints JSON Lines on stdout (one object per measurement)
and progress on stderr. Run as root from the top of the checkout.

  throughput --workload cpuid|pio --count N --reps R [--tools T,...]
      testvmm's exit loop with each tool attached in turn, and with nothing
      (the baseline), R times, the order rotated each repetition so that
      drift hits every tool alike. Per run: exits per second (testvmm's own
      count and clock), the tool's CPU time, the bytes it wrote, and for
      vmexitprof its event accounting (--json counters).
  native-attached --count N
      Native BPF time per event of vmexitprof's programs attached for real
      (with --ports), of empty programs on the same tracepoints, and of the
      bpftrace script, on testvmm's PIO loop; from bpf_stats.
  memory --vcpus N,...
      Memory of vmexitprof's maps (the kernel's memlock figure) while it
      profiles a testvmm with N vCPUs on the PIO loop.
  churn --seconds S [--exporter]
      vmexitprof (all VMs) for S seconds while small testvmm VMs start and
      stop one after another: its RSS every 10 s, and at the end whether
      the report counts every VM's returns to userspace (testvmm's truth).
      --exporter: as the always-on exporter (--prometheus, --textfile
      every second), /metrics scraped every second meanwhile.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TESTVMM = "tests/vmm/testvmm"
PROFILER = "./vmexitprof"
BPF_COST = os.environ.get("OUTPUT", "build") + "/bench/bpf_cost"

# The bpftrace equivalents of vmexitprof's latency histograms: where kvm_exit
# fires, exit -> entry per reason; on the host, as vmexitprof's VMM time,
# return to userspace -> next KVM_RUN (kvm_fpu load) per KVM_EXIT reason.
BPFTRACE_EXIT_ENTRY = r"""
BEGIN { printf("ready\n"); }
tracepoint:kvm:kvm_exit /pid == $1/ { @start[tid] = nsecs; @reason[tid] = args->exit_reason; }
tracepoint:kvm:kvm_entry /@start[tid]/ {
	@usecs[@reason[tid]] = hist((nsecs - @start[tid]) / 1000); delete(@start[tid]);
}
"""
BPFTRACE_UEXIT_KVM_RUN = r"""
BEGIN { printf("ready\n"); }
tracepoint:kvm:kvm_userspace_exit /pid == $1/ { @start[tid] = nsecs; @reason[tid] = args->reason; }
tracepoint:kvm:kvm_fpu /args->load && @start[tid]/ {
	@usecs[@reason[tid]] = hist((nsecs - @start[tid]) / 1000); delete(@start[tid]);
}
"""


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def emit(obj):
    print(json.dumps(obj), flush=True)


def kvm_exit_fires():
    """The host's KVM is PVM (no kvm_exit) unless kvm_amd/kvm_intel is loaded."""
    return os.path.exists("/sys/module/kvm_amd") or os.path.exists("/sys/module/kvm_intel")


def has_interval_option():
    out = subprocess.run([PROFILER, "--help"], capture_output=True, text=True).stdout
    return re.search(r"^\s*-I[ ,]", out, re.M) is not None


def wait_for(path, pattern, seconds, proc=None):
    """Wait until a line of the file at path matches pattern; False on time-out or exit."""
    deadline = time.monotonic() + seconds
    rx = re.compile(pattern, re.M)
    while time.monotonic() < deadline:
        try:
            with open(path, errors="replace") as f:
                if rx.search(f.read()):
                    return True
        except FileNotFoundError:
            pass
        if proc is not None and proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def wait4(proc):
    """Wait for a child; (status, user+sys ns of it and its waited-for children)."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, int((ru.ru_utime + ru.ru_stime) * 1e9)


class Run:
    """One run: testvmm, and one tool started after it (or around it, for perf record)."""

    def __init__(self, tmp, workload, count, vcpus=1):
        self.tmp = tmp
        self.go = os.path.join(tmp, "go")
        self.vmm_out = os.path.join(tmp, "vmm.json")
        self.vmm_err = os.path.join(tmp, "vmm.err")
        self.vmm_args = [os.path.abspath(TESTVMM), "--wait-for", self.go, "--vcpus", str(vcpus),
                         f"--{workload}", str(count)]
        for p in (self.go, self.vmm_out, self.vmm_err):
            if os.path.exists(p):
                os.unlink(p)

    def start_vmm(self, wrapper=(), cwd=None):
        self.vmm = subprocess.Popen(list(wrapper) + self.vmm_args, stdout=open(self.vmm_out, "w"),
                                    stderr=open(self.vmm_err, "w"), cwd=cwd)
        if not wait_for(self.vmm_err, r"^testvmm: pid \d+ ready$", 120, self.vmm):
            raise RuntimeError(f"testvmm did not start: {open(self.vmm_err).read()}")
        self.pid = int(re.search(r"^testvmm: pid (\d+) ready$", open(self.vmm_err).read(), re.M)[1])

    def release(self):
        open(self.go, "w").close()

    def truth(self):
        with open(self.vmm_out) as f:
            return json.load(f)


def start_tool(argv, ready, out, err, seconds=180):
    """Start a tool; wait for its ready line on stdout or stderr."""
    proc = subprocess.Popen(argv, stdout=open(out, "w"), stderr=open(err, "w"), cwd=os.path.dirname(out))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wait_for(out, ready, 0.05) or wait_for(err, ready, 0.05):
            return proc
        if proc.poll() is not None:
            break
    proc.kill()
    proc.wait()
    raise RuntimeError(f"{argv[0]} did not start: {open(err).read()[-500:]}")


def tool_table(workload):
    """Tool name -> how to run it. argv may hold {pid}; stop: 'self' or 'sigint'."""
    script = BPFTRACE_EXIT_ENTRY if workload == "cpuid" and kvm_exit_fires() else BPFTRACE_UEXIT_KVM_RUN
    prof = [os.path.abspath(PROFILER), "-p", "{pid}", "--json"]
    return {
        "vmexitprof": dict(argv=prof, ready=r"^Tracing KVM exits", stop="self"),
        "vmexitprof -I 100": dict(argv=prof + ["-I", "100"], ready=r"^Tracing KVM exits", stop="self",
                                  needs=has_interval_option, why="no -I in this build"),
        "vmexitprof --ports": dict(argv=prof + ["--ports"], ready=r"^Tracing KVM exits", stop="self"),
        # The fallback attach mode, and the VMM clock that was the default before fentry.
        "vmexitprof --attach classic": dict(argv=prof + ["--attach", "classic"], ready=r"^Tracing KVM exits",
                                            stop="self"),
        "vmexitprof --vmm-time usdt": dict(argv=prof + ["--vmm-time", "usdt"], ready=r"^Tracing KVM exits",
                                           stop="self"),
        "perf kvm stat record": dict(parent=["perf", "kvm", "-o", "{tmp}/perf.data", "stat", "record", "-a", "--"],
                                     data="{tmp}/perf.data"),
        "perf kvm stat live": dict(argv=["perf", "kvm", "stat", "live", "-p", "{pid}", "-d", "1"],
                                   ready=r"Analyze events", stop="sigint"),
        "bpftrace": dict(argv=["bpftrace", "-e", script, "{pid}"], ready=r"^ready$", stop="sigint"),
        # The floors: empty programs on the same classic tracepoints (kvm_exit,
        # kvm_entry, kvm_userspace_exit, kvm_fpu, kvm_pio), and on raw kvm_exit/kvm_entry.
        "empty programs": dict(argv=[os.path.abspath(BPF_COST), "attach-empty"],
                               ready=r"^bpf_cost: attached", stop="sigint"),
        "empty raw_tp programs": dict(argv=[os.path.abspath(BPF_COST), "attach-empty", "--raw"],
                                      ready=r"^bpf_cost: attached", stop="sigint", needs=kvm_exit_fires,
                                      why="kvm_exit does not fire here"),
    }


def fill(arg, **values):
    """{pid} and {tmp} in an argument (str.format would trip on bpftrace's braces)."""
    for k, v in values.items():
        arg = arg.replace("{" + k + "}", str(v))
    return arg


def one_run(tmp, workload, count, name, spec):
    """One timed run; returns the result object."""
    run = Run(tmp, workload, count)
    out, err = os.path.join(tmp, "tool.out"), os.path.join(tmp, "tool.err")
    for p in (out, err, os.path.join(tmp, "perf.data")):
        if os.path.exists(p):
            os.unlink(p)
    res = {"tool": name}
    tool = None
    if spec is None:
        run.start_vmm()
    elif "parent" in spec:
        # perf runs testvmm as its own workload: it then records for sure.
        run.start_vmm(wrapper=[fill(a, tmp=tmp) for a in spec["parent"]], cwd=tmp)
        tool = run.vmm
    else:
        run.start_vmm()
        argv = [fill(a, pid=run.pid, tmp=tmp) for a in spec["argv"]]
        tool = start_tool(argv, spec["ready"], out, err)
    run.release()
    if tool is run.vmm:
        rc, cpu = wait4(tool)
    else:
        run.vmm.wait()
        rc = run.vmm.returncode
    if rc != 0:
        raise RuntimeError(f"{name}: testvmm run exited {rc}: {open(run.vmm_err).read()[-500:]}")
    truth = run.truth()
    if tool is run.vmm:
        vmm_cpu = truth["rusage"]["user_ns"] + truth["rusage"]["sys_ns"]
        res["tool_cpu_ns"] = max(cpu - vmm_cpu, 0)
        res["data_bytes"] = os.path.getsize(fill(spec["data"], tmp=tmp))
    elif tool is not None:
        # A tool that should stop by itself gets 10 s, then SIGINT like the others.
        done = wait4_timeout(tool, 10) if spec["stop"] == "self" else None
        # perf kvm stat live sometimes ignores SIGINT on this host: then SIGTERM,
        # then SIGKILL. The run's figures stand; the status says how it ended.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if done is not None:
                break
            tool.send_signal(sig)
            done = wait4_timeout(tool, 20)
            if done is not None and sig != signal.SIGINT:
                res["stopped_by"] = signal.Signals(sig).name
        if done is None:
            raise RuntimeError(f"{name} did not stop even on SIGKILL")
        trc, cpu = done
        res["tool_cpu_ns"] = cpu
        res["data_bytes"] = os.path.getsize(out)
        if trc != 0:
            # perf kvm stat live exits 11 on SIGINT; keep it, it is not a failure of the run.
            res["tool_status"] = trc
            if spec["stop"] != "sigint":
                log(f"{name} exited {trc}: {open(err).read()[-300:]}")
        if name.startswith("vmexitprof") and "-I" not in spec["argv"]:
            res["counters"], res["reasons"] = vmexitprof_accounting(out)
    caused = truth["totals"]["caused"]
    res["exits"] = sum(caused.values())
    res["caused"] = caused
    res["duration_ns"] = truth["duration_ns"]
    res["rate"] = res["exits"] / (truth["duration_ns"] / 1e9)
    return res


def wait4_timeout(proc, seconds):
    """wait4() for up to seconds: (status, CPU ns), or None if it still runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, int((ru.ru_utime + ru.ru_stime) * 1e9)
        time.sleep(0.05)
    return None


def vmexitprof_accounting(path):
    with open(path) as f:
        doc = json.load(f)
    reasons = {}
    for vm in doc["vms"]:
        for r in vm["reasons"]:
            reasons[r["name"]] = reasons.get(r["name"], 0) + r["count"]
    return doc["counters"], reasons


def cmd_throughput(args):
    table = tool_table(args.workload)
    names = ["none"] + [t for t in args.tools.split(",") if t]
    for n in names[1:]:
        if n not in table:
            sys.exit(f"bench: unknown tool '{n}' (known: {', '.join(table)})")
    where = os.uname().release
    skipped = {n for n in names[1:] if "needs" in table[n] and not table[n]["needs"]()}
    for n in sorted(skipped):
        emit({"section": "throughput", "where": where, "workload": args.workload, "tool": n,
              "skipped": table[n]["why"]})
    active = [n for n in names if n not in skipped]
    with tempfile.TemporaryDirectory(prefix="vmexitprof-bench.") as tmp:
        for rep in range(args.reps):
            k = rep % len(active)
            for name in active[k:] + active[:k]:
                try:
                    res = one_run(tmp, args.workload, args.count, name, table.get(name))
                except RuntimeError as e:
                    log(f"{where} {name} rep {rep}: {e}")
                    res = {"tool": name, "error": str(e)}
                res.update(section="throughput", where=where, workload=args.workload, count=args.count,
                           rep=rep, cpus=os.cpu_count())
                emit(res)
                log(f"{where} {args.workload} rep {rep + 1}/{args.reps}: {name}: "
                    f"{res.get('rate', 0):.0f} exits/s")


def bpf_objects_of(pid, kind):
    """The BPF programs or maps (kind "prog" or "map") a process holds, as bpftool
    lists them: another tool's or instance's are told apart by the ids in the
    process's own fdinfo."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            info = open(f"/proc/{pid}/fdinfo/{fd}").read()
        except OSError:
            continue
        m = re.search(rf"^{kind}_id:\s*(\d+)", info, re.M)
        if m:
            ids.add(int(m[1]))
    listed = json.loads(subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True,
                                       text=True, check=True).stdout)
    return [o for o in listed if o["id"] in ids]


def prog_ids_of(pid):
    """The process's BPF programs by name."""
    return {p["name"]: p for p in bpf_objects_of(pid, "prog")}


def holder(tmp):
    """A second testvmm, held at its start gate: keeps `vmexitprof -p` attached
    after the measured testvmm has finished, so its programs and maps can be read."""
    os.makedirs(os.path.join(tmp, "holder"), exist_ok=True)
    h = Run(os.path.join(tmp, "holder"), "pio", 0)
    h.start_vmm()
    return h


def cmd_native_attached(args):
    """bpf_stats of vmexitprof's programs, the empty floor and bpftrace's, on the PIO loop."""
    with tempfile.TemporaryDirectory(prefix="vmexitprof-bench.") as tmp:
        hold = holder(tmp)
        run = Run(tmp, "pio", args.count)
        run.start_vmm()
        floor = start_tool([os.path.abspath(BPF_COST), "attach-empty"], r"^bpf_cost: attached",
                           os.path.join(tmp, "floor.out"), os.path.join(tmp, "floor.err"))
        # The default (--vmm-time auto: fentry where allowed, else kvm_fpu) and QEMU's USDT probes
        # (which testvmm has), side by side.
        profs = {}
        for label, extra in (("vmexitprof --ports", []),
                             ("vmexitprof --ports --vmm-time usdt", ["--vmm-time", "usdt"])):
            profs[label] = start_tool([os.path.abspath(PROFILER), "-p", f"{run.pid},{hold.pid}", "--ports",
                                       "--json"] + extra, r"^Tracing KVM exits",
                                      os.path.join(tmp, f"prof{len(profs)}.out"),
                                      os.path.join(tmp, f"prof{len(profs)}.err"))
        bt = start_tool(["bpftrace", "-e", BPFTRACE_UEXIT_KVM_RUN, str(run.pid)], r"^ready$",
                        os.path.join(tmp, "bt.out"), os.path.join(tmp, "bt.err"))
        run.release()
        run.vmm.wait()
        truth = run.truth()
        ours = {label: prog_ids_of(p.pid) for label, p in profs.items()}
        theirs = prog_ids_of(bt.pid)
        bt.send_signal(signal.SIGINT)
        bt.wait()
        floor.send_signal(signal.SIGINT)
        floor.wait()
        hold.release()
        hold.vmm.wait()
        for p in profs.values():
            p.wait()
        empty = json.load(open(os.path.join(tmp, "floor.out")))
        progs = []
        for label, mine in ours.items():
            for name, p in sorted(mine.items()):
                progs.append({"who": label, "name": name, "type": p["type"], "run_cnt": p.get("run_cnt", 0),
                              "run_time_ns": p.get("run_time_ns", 0)})
        for name, p in sorted(theirs.items()):
            if name.startswith("BEGIN") or "BEGIN" in name:
                continue
            progs.append({"who": "bpftrace script", "name": name, "type": p["type"], "run_cnt": p.get("run_cnt", 0),
                          "run_time_ns": p.get("run_time_ns", 0)})
        for p in empty["programs"]:
            progs.append({"who": "empty", "name": p["tracepoint"], "run_cnt": p["run_cnt"],
                          "run_time_ns": p["run_time_ns"]})
        emit({"section": "native-attached", "where": os.uname().release, "workload": "pio",
              "count": args.count, "caused": truth["totals"]["caused"], "programs": progs})


def cmd_memory(args):
    with tempfile.TemporaryDirectory(prefix="vmexitprof-bench.") as tmp:
        for n in [int(v) for v in args.vcpus.split(",")]:
            hold = holder(tmp)
            run = Run(tmp, "pio", args.count, vcpus=n)
            run.start_vmm()
            prof = start_tool([os.path.abspath(PROFILER), "-p", f"{run.pid},{hold.pid}", "--json"]
                              + args.profiler_args.split(),
                              r"^Tracing KVM exits", os.path.join(tmp, "prof.out"), os.path.join(tmp, "prof.err"))
            run.release()
            run.vmm.wait()
            maps = bpf_objects_of(prof.pid, "map")
            hold.release()
            hold.vmm.wait()
            prof.wait()
            emit({"section": "memory", "where": os.uname().release, "vcpus": n,
                  "possible_cpus": possible_cpus(),
                  "profiler_args": args.profiler_args,
                  "maps": [{"name": m["name"], "type": m["type"], "max_entries": m["max_entries"],
                            "bytes_value": m["bytes_value"], "bytes_memlock": m["bytes_memlock"]}
                           for m in maps],
                  "bytes_memlock": sum(m["bytes_memlock"] for m in maps)})
            log(f"memory at {n} vCPUs: {sum(m['bytes_memlock'] for m in maps)} bytes")


def possible_cpus():
    text = open("/sys/devices/system/cpu/possible").read().strip()
    n = 0
    for part in text.split(","):
        a, _, b = part.partition("-")
        n += int(b or a) - int(a) + 1
    return n


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cmd_churn(args):
    """RSS of a long run while VMs come and go (docs/performance.md, "Under churn")."""
    with tempfile.TemporaryDirectory() as tmp:
        err = open(f"{tmp}/prof.err", "w")
        exporter = ["--prometheus", "0", "--textfile", f"{tmp}/vmexitprof.prom", "-I", "1000"] if args.exporter else []
        prof = subprocess.Popen([PROFILER, "--json"] + exporter + args.profiler_args.split(),
                                stdout=open(f"{tmp}/prof.json", "w"), stderr=err)
        while "Tracing" not in open(f"{tmp}/prof.err").read():
            if prof.poll() is not None:
                sys.exit(f"bench: vmexitprof did not start: {open(tmp + '/prof.err').read()}")
            time.sleep(0.1)
        scrapes = {"n": 0, "bytes": 0, "max_bytes": 0, "failed": 0}
        if args.exporter:
            port = re.search(r"serving metrics on http://127.0.0.1:(\d+)/", open(f"{tmp}/prof.err").read()).group(1)

            def scrape():
                while prof.poll() is None:
                    try:
                        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
                            n = len(r.read())
                        scrapes.update(n=scrapes["n"] + 1, bytes=n, max_bytes=max(n, scrapes["max_bytes"]))
                    except OSError:
                        scrapes["failed"] += 1
                    time.sleep(1)
            threading.Thread(target=scrape, daemon=True).start()
        start, samples, truth, vms, next_sample = time.time(), [], 0, 0, 0
        while time.time() - start < args.seconds:
            now = time.time() - start
            if now >= next_sample:
                samples.append([round(now), rss_kib(prof.pid)])
                next_sample += 10
                if len(samples) % 30 == 0:
                    log(f"churn: {vms} VMs, {round(now)} s, RSS {samples[-1][1]} KiB")
            out = subprocess.run([TESTVMM, "--vcpus", str(1 + vms % 3), "--pio", "40", "--mmio", "10",
                                  "--hlt", "2"], capture_output=True, text=True, check=True)
            t = json.loads(out.stdout)
            truth += sum(n for v in t["vcpus"] for k, n in v["kvm_run_returns"].items() if k != "EINTR")
            vms += 1
            time.sleep(0.05)
        samples.append([round(time.time() - start), rss_kib(prof.pid)])
        time.sleep(1.5)
        prof.send_signal(signal.SIGINT)
        prof.wait()
        rep = json.load(open(f"{tmp}/prof.json"))
        reported = sum(u["count"] for vm in rep["vms"] for u in vm["userspace"])
        emit({"section": "churn", "seconds": args.seconds, "vms": vms, "rss_kib": samples,
              "returns_truth": truth, "returns_reported": reported,
              "profiler_args": " ".join(exporter[:2] + exporter[4:] + args.profiler_args.split()),
              "vms_in_report": len(rep["vms"]),
              **({"scrapes": scrapes["n"], "scrapes_failed": scrapes["failed"],
                  "last_scrape_bytes": scrapes["bytes"], "max_scrape_bytes": scrapes["max_bytes"]}
                 if args.exporter else {})})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--workload", choices=["cpuid", "pio"], required=True)
    t.add_argument("--count", type=int, required=True)
    t.add_argument("--reps", type=int, default=5)
    t.add_argument("--tools", default="vmexitprof,vmexitprof -I 100,vmexitprof --ports,"
                   "vmexitprof --attach classic,vmexitprof --vmm-time usdt,perf kvm stat record,perf kvm stat live,bpftrace,empty programs,empty raw_tp programs")
    n = sub.add_parser("native-attached")
    n.add_argument("--count", type=int, default=200000)
    m = sub.add_parser("memory")
    m.add_argument("--vcpus", default="1,64,1024")
    m.add_argument("--count", type=int, default=10)
    m.add_argument("--profiler-args", default="")
    c = sub.add_parser("churn")
    c.add_argument("--seconds", type=int, default=3600)
    c.add_argument("--profiler-args", default="")
    c.add_argument("--exporter", action="store_true")
    args = ap.parse_args()
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    {"throughput": cmd_throughput, "native-attached": cmd_native_attached, "memory": cmd_memory,
     "churn": cmd_churn}[args.cmd](args)


if __name__ == "__main__":
    main()

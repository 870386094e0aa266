"""The Prometheus tests' checks (tests/lib/prometheus.sh), through Prometheus'
HTTP API, on both routes: job "vmexitprof" (--prometheus) and job "node"
(--textfile through node_exporter).

  promcheck.py host|rig PROM_URL A.json B.json REPORT.json DASHBOARD.json

A and B are testvmm's ground truth of two VMs that ran one after the other
on the same pid; REPORT is vmexitprof's own --json report of the same run.
- increase() of each VM's counters, evaluated at its series' last sample
  (no extrapolation past it; the series is born at 0, so none before
  either), equals the ground truth exactly: returns to userspace per
  KVM_EXIT reason on both; in the rig also exits per SVM reason;
- the pid shows as two series (start_ticks), one per VM;
- histogram_quantile(0.99, ...) lies within one of our `le` buckets of the
  report's own p99, for the VMM handling time (and in the rig the exit
  latency), and the histograms' _count equals the report's count;
- every PromQL expression of the Grafana dashboard returns data while VM A
  runs (on this host, where kvm_exit never fires, those of the exit
  latency and exits/s panels are run and must return nothing instead).
"""
import json
import math
import re
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, "tests/lib")
from reports import check, finish, load  # noqa: E402

mode, url, a_path, b_path, report_path, dash_path = sys.argv[1:7]
truths = {"a": load(a_path), "b": load(b_path)}
report = load(report_path)
JOBS = ("vmexitprof", "node")
RANGE = "15m"


def query(expr, at=None):
    args = {"query": expr}
    if at is not None:
        args["time"] = f"{at:.3f}"
    with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode(args)}", timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def samples(selector):
    """The raw samples of the one series selector names: [(t, value)]."""
    res = query(f"{selector}[{RANGE}]", time.time())
    check(len(res) == 1, f"{selector}: {len(res)} series, expected 1")
    return [(float(t), float(v)) for t, v in res[0]["values"]] if res else []


def exact_increase(selector, want, what):
    """increase() at the series' last sample equals want; the series starts at 0."""
    s = samples(selector)
    if not s:
        return None
    check(s[0][1] == 0, f"{what}: the series is born at {s[0][1]}, not 0")
    check(s[-1][1] == want, f"{what}: last value {s[-1][1]} != {want}")
    res = query(f"increase({selector}[{RANGE}])", s[-1][0])
    got = float(res[0]["value"][1]) if res else float("nan")
    check(abs(got - want) < 1e-6, f"{what}: increase() {got} != {want}")
    print(f"{what}: increase() = {got:.6f}, truth {want}")
    return s


def vm_sel(job, truth):
    return f'job="{job}",pid="{truth["pid"]}",start_ticks="{truth["start_ticks"]}"'


# Our `le` bounds, as src/expose.c writes them: bucket edges less 1 ns.
LE_NS = [(1 << k) + j * (1 << (k - 2)) - 1 for k in range(10, 42) for j in range(4)] + [(1 << 42) - 1]


def le_index(ns):
    return next((i for i, le in enumerate(LE_NS) if ns <= le), len(LE_NS))


def report_vm(truth):
    vm = [v for v in report["vms"] if v["pid"] == truth["pid"] and v["start_ticks"] == truth["start_ticks"]]
    check(len(vm) == 1, f"pid {truth['pid']} start {truth['start_ticks']}: in the report once")
    return vm[0] if vm else None


def check_quantile(metric, selector, ours, what):
    """histogram_quantile(0.99) of the whole series within one bucket of ours (a report row)."""
    s = samples(f"{metric}_count{{{selector}}}")
    if not s or ours is None:
        check(False, f"{what}: no series or no report row")
        return
    check(s[-1][1] == ours["count"], f"{what}: _count {s[-1][1]} != the report's {ours['count']}")
    res = query(f"histogram_quantile(0.99, increase({metric}_bucket{{{selector}}}[{RANGE}]))", s[-1][0])
    prom_ns = float(res[0]["value"][1]) * 1e9 if res else float("nan")
    ok = not math.isnan(prom_ns) and abs(le_index(prom_ns) - le_index(ours["p99_ns"])) <= 1
    check(ok, f"{what}: histogram_quantile(0.99) {prom_ns:.0f} ns is not within one bucket of "
              f"vmexitprof's p99 {ours['p99_ns']} ns")
    print(f"{what}: histogram_quantile(0.99) = {prom_ns:.0f} ns, vmexitprof's p99 {ours['p99_ns']} ns "
          f"(buckets {le_index(prom_ns)} and {le_index(ours['p99_ns'])})")


def summed(truth, field, key):
    return sum(v[field][key] for v in truth["vcpus"])


def svm_exits(truth):
    """Per SVM reason name, the exits testvmm caused, as (least, most): each vCPU
    thread's last exit is pending (never re-entered), so up to one per vCPU less;
    which reason it is depends on where --duration stopped the thread
    (check_exit_counts in reports.py, without --duration: the final control IO)."""
    n = len(truth["vcpus"])
    io = sum(v["caused"]["pio"] + v["caused"]["control"] for v in truth["vcpus"])
    cpuid, hlt = summed(truth, "caused", "cpuid"), summed(truth, "caused", "hlt")
    return {"cpuid": (cpuid - n, cpuid), "hlt": (hlt - n, hlt), "io": (io - n, io)}


a_series = None
for job in JOBS:
    for what in ("min_over_time(up", "max_over_time(scrape_duration_seconds", "max_over_time(scrape_samples_scraped"):
        r = query(f'{what}{{job="{job}"}}[{RANGE}])', time.time())
        print(f"{job}: {what}) = {r[0]['value'][1] if r else None}")
    for name, truth in truths.items():
        sel = vm_sel(job, truth)
        where = f"{job}, VM {name} (pid {truth['pid']})"
        returns = {k: summed(truth, "kvm_run_returns", k) for k in truth["vcpus"][0]["kvm_run_returns"]}
        for reason, want in returns.items():
            if reason == "EINTR":
                got = query(f'sum(max_over_time(vmexitprof_userspace_errors_total{{{sel},errno="EINTR"}}[{RANGE}]))'
                            ' or vector(0)', time.time())
                check(float(got[0]["value"][1]) == want, f"{where}: EINTR {got} != {want}")
                continue
            if not want:
                check(not query(f'vmexitprof_userspace_exits_total{{{sel},kvm_exit="{reason}"}}[{RANGE}]',
                                time.time()), f"{where}: a {reason} series without any such return")
                continue
            s = exact_increase(f'vmexitprof_userspace_exits_total{{{sel},kvm_exit="{reason}"}}', want,
                               f"{where}: returns to userspace, {reason}")
            if job == "vmexitprof" and name == "a" and reason == "IO":
                a_series = s
        vm = report_vm(truth)
        if mode == "rig" and vm:
            # Exact against the report of the same run, which lies within testvmm's truth.
            counts = {r["name"]: r["count"] for r in vm["reasons"] if r["isa"] == "svm"}
            expected = svm_exits(truth)
            pending = sum(most - counts.get(r, 0) for r, (_, most) in expected.items())
            check(0 <= pending <= len(truth["vcpus"]), f"{where}: {pending} exits pending, {len(truth['vcpus'])} vCPUs")
            for reason, (least, most) in expected.items():
                got = counts.get(reason, 0)
                check(least <= got <= most, f"{where}: the report's {reason} {got} not in [{least}, {most}]")
                if got:
                    exact_increase(f'vmexitprof_exits_total{{{sel},isa="svm",reason="{reason}"}}', got,
                                   f"{where}: exits, {reason} (testvmm: {least} to {most})")
        if vm:
            io = [u for u in vm["userspace"] if u["reason"] == "IO"]
            check_quantile("vmexitprof_vmm_handling_seconds", f'{sel},kvm_exit="IO"',
                           io[0]["handling"] if io else None, f"{where}: VMM handling of IO")
            if mode == "rig":
                for row in vm["reasons"]:
                    if row["isa"] == "svm" and row["name"] in ("cpuid", "io") and row["count"]:
                        check_quantile("vmexitprof_exit_latency_seconds",
                                       f'{sel},isa="svm",reason="{row["name"]}"', row,
                                       f"{where}: exit latency of {row['name']}")
    # Churn: a new VM on the same pid is a series of its own.
    pid = truths["a"]["pid"]
    n = query(f'count(count by (start_ticks) (count_over_time(vmexitprof_userspace_exits_total'
              f'{{job="{job}",pid="{pid}"}}[{RANGE}])))', time.time())
    got = int(float(n[0]["value"][1])) if n else 0
    check(got == 2, f"{job}: pid {pid} shows as {got} series (start_ticks), expected 2")
    print(f"{job}: pid {pid} as {got} series: start_ticks {truths['a']['start_ticks']} and {truths['b']['start_ticks']}")

# The dashboard's expressions, while VM A ran (its IO returns still growing).
dash = load(dash_path)


def targets(panels):
    for p in panels:
        yield from ((p["title"], t["expr"]) for t in p.get("targets", []) if "expr" in t)
        yield from targets(p.get("panels", []))


exprs = list(targets(dash["panels"]))
check(len(exprs) >= 4, f"the dashboard has {len(exprs)} expressions")
if a_series:
    growing = [t for (t, v), (_, v2) in zip(a_series, a_series[1:]) if v2 > v]
    at = growing[len(growing) // 2] if growing else a_series[-1][0]
    for title, expr in exprs:
        q = expr.replace("$__rate_interval", "5s").replace("$vm", ".+").replace("$reason", ".+")
        res = query(q, at)
        has_data = any(not math.isnan(float(r["value"][1])) for r in res)
        needs_kvm_exit = re.search(r"vmexitprof_(exit_latency_seconds|exits_total|exits_to_userspace_total)", q)
        if mode == "host" and needs_kvm_exit:
            check(not res, f"dashboard '{title}': {q} has data although kvm_exit never fires here")
            print(f"dashboard '{title}': no data here, as kvm_exit never fires: {q}")
        else:
            if not check(has_data, f"dashboard '{title}': no data from {q} at {at}: {res}"):
                for dbg in ('vmexitprof_vmm_handling_seconds_count{job="vmexitprof"}[8s]',
                            'vmexitprof_userspace_exits_total{job="vmexitprof"}[8s]'):
                    print(f"  {dbg} at {at}: {query(dbg, at)}")
            print(f"dashboard '{title}': {len(res)} series: {q}")
finish()

"""For the VMX suite's checks (tests/rig-vmx/*.sh), which run on the host on
what one boot of the Intel rig left in $RIG_VMX_OUT (tests/rig-vmx/run):
one directory per guest scenario (tests/rig-vmx/guest/NAME.sh) with its
log, its exit status (rc) and its files. Anything missing is a failure."""
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reports import *  # noqa: E402,F401,F403
from tracecount import parse_hist  # noqa: E402


def _give_up(what):
    check(False, what)
    finish()


def scenario(name):
    """The directory of guest scenario NAME, which must have run and exited 0."""
    out = os.environ.get("RIG_VMX_OUT")
    if not out:
        _give_up("RIG_VMX_OUT is not set: run the suite with tests/rig-vmx/run")
    d = os.path.join(out, name)
    rc_path = os.path.join(d, "rc")
    if not os.path.exists(rc_path):
        _give_up(f"guest scenario {name} left no results in {d} (did the rig boot?)")
    rc = open(rc_path).read().strip()
    if rc != "0":
        log = open(os.path.join(d, "log"), errors="replace").read() if os.path.exists(os.path.join(d, "log")) else ""
        _give_up(f"guest scenario {name} exited {rc}:\n{log}")
    return d


def path(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        _give_up(f"{p} is missing")
    return p


def text(d, name):
    with open(path(d, name), errors="replace") as f:
        return f.read()


def json_file(d, name):
    return load(path(d, name))


def hist(d, event):
    """A hist trigger's rows as tracecount.py reads them; a table that
    dropped entries is useless, and says so."""
    t = text(d, "hist." + event)
    m = re.search(r"Dropped:\s*(\d+)", t)
    if not m:
        _give_up(f"hist.{event} is not a hist trigger's output: {t[:200]!r}")
    check(m.group(1) == "0", f"hist.{event} dropped {m.group(1)} entries")
    return parse_hist(t)


def hits(rows, key, **match):
    """Counter of hits by key field over the rows whose key matches."""
    c = Counter()
    for r in rows:
        k = r["key"]
        if all(k.get(f) == v for f, v in match.items()):
            c[k[key]] += r["hits"]
    return c


def vmx_names(format_text):
    """{basic reason: name} from kvm_exit's format, the kernel's own table."""
    m = re.search(r"__print_symbolic\(REC->exit_reason & 0xffff,(.*?)\) :", format_text)
    if not m:
        _give_up("no VMX reason table in kvm_exit's format")
    return {int(code): name for code, name in re.findall(r'\{\s*(\d+),\s*"(\w+)"\s*\}', m.group(1))}


def vm_of(prof, pid):
    vms = [vm for vm in prof["vms"] if vm["pid"] == pid]
    if len(vms) != 1:
        _give_up(f"VM {pid}: {len(vms)} entries in the report (pids {[vm['pid'] for vm in prof['vms']]})")
    return vms[0]


def vcpus_of(vm):
    return {v["vcpu"]: v for v in vm["vcpus"]}

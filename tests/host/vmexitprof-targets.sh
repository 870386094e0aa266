#!/usr/bin/env bash
# -p names a process, and only while it runs:
#  - a thread id is refused in one line that names its process;
#  - a target that became a zombie (its parent does not reap it) ends the
#    run, as one that is gone does;
#  - so does a target whose pid a new process took while vmexitprof ran
#    (made on purpose through /proc/sys/kernel/ns_last_pid).
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh

# A thread id.
start_vmm vmm --vcpus 2 --pio 100
tid=$(awk '/^CPU 1\/KVM$/ { split(FILENAME, p, "/"); print p[5] }' /proc/"$vmm_pid"/task/*/comm)
[[ -n $tid && $tid != "$vmm_pid" ]] || die "no vCPU thread found in testvmm $vmm_pid"
expect_status 1 timeout 10 ./vmexitprof -p "$tid"
assert_eq "$err" "vmexitprof: $tid is a thread of process $vmm_pid (testvmm); use -p $vmm_pid" "-p TID"
release_vmm vmm
wait_ok "$vmm_pid" testvmm

# A zombie: python starts testvmm, and then neither reaps it nor exits.
python3 - "$tmp" <<'PY' &
import os, subprocess, sys, time
tmp = sys.argv[1]
p = subprocess.Popen(["tests/vmm/testvmm", "--pio", "100", "--wait-for", f"{tmp}/zombie.go"],
                     stdout=open(f"{tmp}/zombie.json", "w"), stderr=open(f"{tmp}/zombie.err", "w"))
open(f"{tmp}/zombie.pid", "w").write(f"{p.pid}\n")
time.sleep(60)   # p exits and stays a zombie: Popen reaps only when asked
PY
parent=$!
wait_for_line "$tmp/zombie.err" "testvmm: pid [0-9]+ ready" 30
zombie=$(cat "$tmp/zombie.pid")
start_profiler zprof -p "$zombie"
touch "$tmp/zombie.go"
for ((i = 0; i < 100; i++)); do
	[[ $(awk '{ print $3 }' /proc/"$zombie"/stat 2>/dev/null) == Z ]] && break
	sleep 0.1
done
[[ $(awk '{ print $3 }' /proc/"$zombie"/stat) == Z ]] || die "testvmm $zombie did not become a zombie"
for ((i = 0; i < 50; i++)); do kill -0 "$zprof_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$zprof_pid" 2>/dev/null && die "vmexitprof -p on a zombie still runs 5 s after it exited"
wait_ok "$zprof_pid" "vmexitprof -p ZOMBIE"
grep -q "process $zombie exited during the run" "$tmp/zprof.err" || die "no exit note: $(cat "$tmp/zprof.err")"
kill "$parent"
wait "$parent" 2>/dev/null || true

# A reused pid: once testvmm is gone, a sleep gets its pid. vmexitprof is
# stopped meanwhile, so that its next look finds the pid taken, not free.
start_vmm old --pio 100
start_profiler rprof -p "$old_pid"
kill -STOP "$rprof_pid"
for ((i = 0; i < 50; i++)); do [[ $(awk '{ print $3 }' /proc/"$rprof_pid"/stat) == T ]] && break; sleep 0.1; done
release_vmm old
wait_ok "$old_pid" testvmm
new=$(python3 - "$old_pid" <<'PY'
import os, subprocess, sys
want = int(sys.argv[1])
for _ in range(20):
    try:
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(want - 1))
    except OSError:
        break
    p = subprocess.Popen(["sleep", "300"], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if p.pid == want:
        print(p.pid)
        break
    p.kill()
    p.wait()
PY
)
kill -CONT "$rprof_pid"
[[ $new == "$old_pid" ]] || skip "could not start a process on pid $old_pid (ns_last_pid)"
trap 'kill "$new" 2>/dev/null; cleanup_profile' EXIT
for ((i = 0; i < 50; i++)); do kill -0 "$rprof_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$rprof_pid" 2>/dev/null && die "vmexitprof -p still runs 5 s after its target's pid went to another process"
wait_ok "$rprof_pid" "vmexitprof -p REUSED"
kill "$new"
echo "thread id refused; zombie and reused pid end the run"

#!/usr/bin/env bash
# contrib/vmexitprof.service, run as it says without systemd (not PID 1
# here): its ExecStart, as a user that is not root (a DynamicUser-range
# uid), with exactly its AmbientCapabilities and CapabilityBoundingSet
# (setpriv), NoNewPrivileges, and in a mount namespace with / read-only
# (ProtectSystem=strict), /tmp private and /root and /home empty
# (PrivateTmp, ProtectHome). It must trace a VM run by root and serve it,
# with those capabilities in effect and no others, survive SIGHUP, and end
# with status 0 on SIGTERM.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh
unit=contrib/vmexitprof.service
value() { sed -n "s/^$1=//p" "$unit"; }
[[ $(value DynamicUser) == yes && $(value NoNewPrivileges) == yes && $(value ProtectSystem) == strict &&
	$(value ProtectHome) == yes && $(value PrivateTmp) == yes ]] || die "the unit's hardening changed: update this test"
ambient=$(value AmbientCapabilities)
[[ $(value CapabilityBoundingSet) == "$ambient" ]] || die "bounding set and ambient capabilities differ"
caps=$(tr 'A-Z ' 'a-z\n' <<<"$ambient" | sed 's/^cap_/+/' | paste -sd,)
read -r -a exec_start <<<"$(value ExecStart)"
[[ ${exec_start[0]} == @SBINDIR@/vmexitprof ]] || die "ExecStart: ${exec_start[*]}"
exec_start[0]=$PWD/vmexitprof
# Port 0: the unit's own may be taken here.
exec_start=("${exec_start[@]/127.0.0.1:9560/127.0.0.1:0}")
echo "as uid 61184 with $caps: ${exec_start[*]}"

start_vmm vm --vcpus 2 --duration 3 --pio 40 --hlt 4 --hlt-sleep-us 200
unshare -m --propagation private sh -c 'mount -o remount,bind,ro / && mount -t tmpfs tmpfs /tmp &&
	mount -t tmpfs tmpfs /root && mount -t tmpfs tmpfs /home && exec "$@"' _ \
	setpriv --reuid=61184 --regid=61184 --clear-groups --no-new-privs \
	--inh-caps="-all,$caps" --ambient-caps="-all,$caps" --bounding-set="-all,$caps" \
	"${exec_start[@]}" >"$tmp/svc.out" 2>"$tmp/svc.err" &
svc=$!
wait_for_line "$tmp/svc.err" "serving metrics on" 30
wait_for_line "$tmp/svc.err" "^Tracing KVM exits" 30
port=$(sed -n 's|^vmexitprof: serving metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/svc.err")
# unshare, sh and setpriv each exec the next: the service is $svc itself
# (not found by name: another run of this test may be going on).
prof=$svc
[[ $(cat /proc/"$prof"/comm 2>/dev/null) == vmexitprof ]] || die "process $prof is not vmexitprof"
status=$(cat /proc/"$prof"/status)
assert_match "$status" $'\nUid:\t61184\t61184\t61184\t61184' "its user"
assert_match "$status" $'\nNoNewPrivs:\t1' "NoNewPrivileges"
eff=$(sed -n 's/^CapEff:\t//p' <<<"$status")
want=$(python3 -c 'import sys; m = {"bpf": 39, "perfmon": 38, "dac_read_search": 2}
print("%016x" % sum(1 << m[c.lstrip("+")] for c in sys.argv[1].split(",")))' "$caps")
assert_eq "$eff" "$want" "its effective capabilities"
release_vmm vm
wait_ok "$vm_pid" testvmm
sleep 2
kill -HUP "$prof"
sleep 1.5
kill -0 "$prof" 2>/dev/null || die "SIGHUP ended the service"
# A new series is shown at 0 until two scrapes took it (so that
# increase() counts its first exits); the numbers follow, each second.
truth=$(python3 -c 'import json, sys; t = json.load(open(sys.argv[1]))
print(sum(v["kvm_run_returns"]["IO"] for v in t["vcpus"]))' "$tmp/vm.json")
for scrape in 1 2 3 4 5 6; do
	curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/metrics" || die "no /metrics after SIGHUP"
	got=$(sed -n "s/^vmexitprof_userspace_exits_total{vm=\"testvmm\",pid=\"$vm_pid\",start_ticks=\"[0-9]*\",kvm_exit=\"IO\"} //p" "$tmp/metrics")
	((scrape > 2)) || assert_eq "$got" 0 "scrape $scrape: the new series at 0"
	[[ $got == 0 ]] || break
	sleep 1.5
done
assert_eq "$got" "$truth" "the VM's returns to userspace (IO) served"
# classic: the unit has no CAP_SYS_ADMIN, which reading module BTF takes.
grep -q '^vmexitprof_build_info{version="[^"]*",attach="classic",vmm_time="kvm_fpu"} 1$' "$tmp/metrics" ||
	die "no build_info: $(grep build_info "$tmp/metrics")"
kill -TERM "$prof"
rc=0
wait "$svc" || rc=$?
((rc == 0)) || die "the service exited $rc on SIGTERM: $(cat "$tmp/svc.err")"
echo "served $got returns to userspace (testvmm: $truth) as uid 61184 with CapEff $eff; SIGHUP ignored, SIGTERM exit 0"

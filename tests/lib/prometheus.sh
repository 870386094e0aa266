# Sourced by the Prometheus tests (tests/host/prometheus.sh, tests/rig/prometheus.sh),
# after common.sh and profile.sh: vmexitprof --prometheus and --textfile
# scraped by Debian's Prometheus, directly and through node_exporter's
# textfile collector, each started here on 127.0.0.1 (free ports, storage
# in $tmp, scrape interval 1 s) and stopped at the end; then
# tests/lib/promcheck.py queries Prometheus' HTTP API.
#   prometheus_scenario host|rig
# runs it all: VM a for a few seconds, then VM b on a's pid once a exited.

command -v prometheus >/dev/null && command -v prometheus-node-exporter >/dev/null ||
	die "prometheus or prometheus-node-exporter is missing (tools/install-deps installs them)"

# A port nobody listens on now (the kernel's choice); the servers bind it right after.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS: until URL answers 200.
wait_http() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		sleep 0.1
	done
	die "$1 did not answer in $2 s"
}

# start_prometheus EXPORTER_PORT: node_exporter on $tmp/textfile, Prometheus
# scraping both every second; sets prom_url, node_pid, prom_pid.
start_prometheus() {
	local node_port prom_port
	node_port=$(free_port)
	prometheus-node-exporter --web.listen-address="127.0.0.1:$node_port" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$tmp/textfile" \
		>"$tmp/node.log" 2>&1 &
	node_pid=$!
	cat >"$tmp/prometheus.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: vmexitprof
	    static_configs: [{targets: ["127.0.0.1:$1"]}]
	  - job_name: node
	    static_configs: [{targets: ["127.0.0.1:$node_port"]}]
	EOF
	prom_port=$(free_port)
	prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
		--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
	prom_pid=$!
	prom_url=http://127.0.0.1:$prom_port
	wait_http "http://127.0.0.1:$node_port/metrics" 30
	wait_http "$prom_url/-/ready" 60
}

stop_prometheus() {
	kill "$prom_pid" "$node_pid" 2>/dev/null || true
	wait "$prom_pid" "$node_pid" 2>/dev/null || true
}

# until_query EXPR SECONDS WHAT: until Prometheus' instant query of EXPR has a result.
until_query() {
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		[[ $(curl -sf "$prom_url/api/v1/query" --data-urlencode "query=$1" |
			python3 -c 'import json, sys; print(len(json.load(sys.stdin)["data"]["result"]))') != 0 ]] &&
			return 0
		sleep 0.5
	done
	die "$3: no result for $1 after $2 s"
}

# run_on_pid NAME PID TESTVMM-ARGS...: testvmm started on pid PID (through
# ns_last_pid), its ground truth in $tmp/NAME.json; sets NAME_pid (the
# runner's pid: wait for it).
run_on_pid() {
	local name=$1 want=$2
	shift 2
	python3 - "$want" "$tmp/$name" "$@" <<-'PY' &
	import os, subprocess, sys
	want, out, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
	for _ in range(50):
	    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
	        f.write(str(want - 1))
	    p = subprocess.Popen(["tests/vmm/testvmm"] + args, stdout=open(out + ".json", "w"),
	                         stderr=open(out + ".err", "w"))
	    if p.pid == want:
	        sys.exit(p.wait())
	    p.kill()
	    p.wait()
	sys.exit(f"could not start testvmm on pid {want}")
	PY
	printf -v "${name}_pid" %s $!
}

prometheus_scenario() {
	local mode=$1 port vm_args=(--vcpus 2 --duration 4 --pio 40 --mmio 10 --hlt 4 --hlt-sleep-us 300)
	local b_args=(--vcpus 1 --pio 30 --mmio 5 --hlt 2)
	if [[ $mode == rig ]]; then
		vm_args+=(--cpuid 20)
		b_args+=(--cpuid 10)
	fi
	mkdir -p "$tmp/textfile"
	trap 'stop_prometheus; cleanup_profile' EXIT
	start_vmm a "${vm_args[@]}"
	# All VMs (b comes later, on a's pid), the textfile every 2 s (node_exporter
	# is scraped every second: it reads each version), every exited VM kept apart
	# for the final report's p99.
	start_profiler prof --prometheus 0 --textfile "$tmp/textfile/vmexitprof.prom" -I 2000 \
		--keep-exited 0 --json
	port=$(sed -n 's|^vmexitprof: serving metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/prof.err")
	[[ -n $port ]] || die "no 'serving metrics' line: $(cat "$tmp/prof.err")"
	curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/first.prom"
	promtool check metrics <"$tmp/first.prom" || die "promtool check metrics: $(promtool check metrics <"$tmp/first.prom" 2>&1)"
	start_prometheus "$port"
	until_query 'up{job="vmexitprof"} == 1' 30 "vmexitprof scraped"
	until_query 'vmexitprof_build_info{job="node"}' 30 "the textfile scraped through node_exporter"

	release_vmm a
	wait_ok "$a_pid" "testvmm (a)"
	# b: a new VM on the same pid, a short one.
	run_on_pid b "$a_pid" "${b_args[@]}"
	wait_ok "$b_pid" "testvmm (b) on pid $a_pid"
	# Both VMs' series go from both routes once their final numbers were delivered 3 times.
	local i gone=0
	for ((i = 0; i < 60 && !gone; i++)); do
		sleep 0.5
		[[ $(curl -sf "$prom_url/api/v1/query" --data-urlencode \
			"query=count(vmexitprof_userspace_exits_total{pid=\"$a_pid\"}) or vector(0)" |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])') == 0 ]] &&
			gone=1
	done
	((gone)) || die "the series of pid $a_pid did not go within 30 s of its VMs' exit"
	kill -TERM "$prof_pid"
	wait_ok "$prof_pid" "vmexitprof --prometheus (SIGTERM)"
	[[ ! -e $tmp/textfile/vmexitprof.prom ]] || die "the textfile is still there after SIGTERM"
	python3 tests/lib/promcheck.py "$mode" "$prom_url" "$tmp/a.json" "$tmp/b.json" "$tmp/prof.out" \
		contrib/grafana/vmexitprof.json
}

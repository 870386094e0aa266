# Sourced by tests that run vmexitprof against testvmm. Makes $tmp and
# cleans it and any background job up on exit.
# Order: start_vmm (VM exists, vCPUs held), start_profiler (attached),
# release_vmm (vCPUs run), then wait for both.
tmp=$(mktemp -d)
cleanup_profile() {
	local jobs
	jobs=$(jobs -p)
	[[ -z $jobs ]] || kill $jobs 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup_profile EXIT

# wait_for_line FILE REGEX SECONDS
wait_for_line() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -qs -E "$2" "$1" && return 0
		sleep 0.1
	done
	die "no line /$2/ in $1 after $3 s: $(cat "$1" 2>/dev/null)"
}

# start_vmm NAME TESTVMM-ARGS...: sets NAME_pid; ground truth in $tmp/NAME.json.
# $TESTVMM, if set, is the command to run instead of tests/vmm/testvmm.
start_vmm() {
	local name=$1
	shift
	${TESTVMM:-tests/vmm/testvmm} --wait-for "$tmp/$name.go" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" &
	printf -v "${name}_pid" %s $!
	wait_for_line "$tmp/$name.err" "testvmm: pid [0-9]+ ready" 30
}

release_vmm() { touch "$tmp/$1.go"; }

# What start_profiler runs: a test may swap in the sanitizer build or put
# valgrind in front.
vmexitprof_cmd=(./vmexitprof)

# start_profiler NAME VMEXITPROF-ARGS...: sets NAME_pid once it has attached.
start_profiler() {
	local name=$1
	shift
	"${vmexitprof_cmd[@]}" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	printf -v "${name}_pid" %s $!
	local i pid=$!
	# Notes on stderr may come first; wait for the attach line or the exit.
	for ((i = 0; i < 600; i++)); do
		grep -qs '^Tracing KVM exits' "$tmp/$name.err" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	die "vmexitprof did not start: $(cat "$tmp/$name.err")"
}

# wait_ok PID WHAT: the process must exit 0.
wait_ok() {
	local rc=0
	wait "$1" || rc=$?
	((rc == 0)) || die "$2 exited $rc"
}

# For the scale tests: profile VM PID at full size (full: --per-vcpu --json)
# and with --max-keys SMALL (small: --per-vcpu --json, small_text: text),
# print the maps' memory of both sizes, run the VM (release_vmm NAME), and
# wait for all of them.
# profile_at_two_sizes NAME PID SMALL
profile_at_two_sizes() {
	local name=$1 pid=$2 small=$3 p pid_var
	start_profiler full -p "$pid" --per-vcpu --json
	start_profiler small -p "$pid" --per-vcpu --json --max-keys "$small"
	start_profiler small_text -p "$pid" --max-keys "$small"
	echo "== maps of vmexitprof -p PID --per-vcpu (--max-keys 16384)"
	tools/map-memory "$full_pid"
	echo "== maps of vmexitprof -p PID --max-keys $small"
	tools/map-memory "$small_pid"
	release_vmm "$name"
	wait_ok "$pid" "testvmm ($name)"
	for p in full small small_text; do
		pid_var=${p}_pid
		wait_ok "${!pid_var}" "vmexitprof ($p)"
	done
}

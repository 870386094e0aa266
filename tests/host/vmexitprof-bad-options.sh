#!/usr/bin/env bash
# Every option with bad values, run through the real binary: each must end
# with exit status 2 and exactly one line on stderr (naming the program,
# and matching the pattern given), print nothing on stdout, and never
# crash: no signal, no sanitizer report. VMEXITPROF picks the binary
# (tests/host/sanitizers.sh runs this table against the ASan+UBSan build).
# tests/unit/test_env.c checks the parser's results; this checks the program.
# Only the command line: errors of the environment (exit 1) are in
# vmexitprof-errors.sh.
#
# The table: one case a line, "ARGS => PATTERN". ARGS are shell words (quote
# an empty value as ''; $(...) works); PATTERN is an extended regex the
# error line must contain. To cover a new option, add its lines here.
. "$(dirname "$0")/../lib/common.sh"
bin=${VMEXITPROF:-./vmexitprof}
[[ -x $bin ]] || die "$bin is missing; run 'make' first"

cases=$(cat <<'TABLE'
# -p/--pid: PIDs
-p -1                           => -p: '-1' is not a number
-p ''                           => -p needs a value
--pid=                          => -p needs a value
-p abc                          => 'abc' is not a number
-p 12abc                        => '12abc' is not a number
-p 0                            => '0' is not a number from 1 to
-p 1.5                          => '1.5' is not a number
-p 0x10                         => '0x10' is not a number
-p ' 1'                         => is not a number
-p 2147483648                   => '2147483648' is not a number from 1 to 2147483647
-p 4294967297                   => '4294967297' is not a number
-p 99999999999999999999999      => is not a number from 1 to
-p 1,,2                         => empty item
-p ,                            => empty item
-p 3,                           => empty item
-p 7,7                          => 7 is given twice
-p 7 -p 7                       => 7 is given twice
-p 7 --pid 8,7                  => 7 is given twice
-p $(seq -s, 17)                => at most 16 values
-p                              => requires an argument
# --vcpu
--vcpu -1                       => --vcpu: '-1' is not a number
--vcpu ''                       => --vcpu needs a value
--vcpu x                        => 'x' is not a number
--vcpu 1024                     => '1024' is not a number from 0 to 1023
--vcpu 4294967296               => is not a number from 0 to 1023
--vcpu 99999999999999999999     => is not a number from 0 to 1023
--vcpu 2,2                      => 2 is given twice
--vcpu 0 --vcpu 0               => 0 is given twice
--vcpu 1,,2                     => empty item
--vcpu                          => requires an argument
# -d/--duration: seconds
-d -1                           => -d: '-1' is not a duration
-d ''                           => -d: '' is not a duration
-d 0                            => -d: '0' is not a duration
-d 0.0001                       => is not a duration
-d abc                          => is not a duration
-d 1e3                          => is not a duration
-d 1.2.3                        => is not a duration
-d 5s                           => is not a duration
-d inf                          => is not a duration
-d nan                          => is not a duration
-d 31536001                     => is not a duration in seconds \(0.001 to 31536000\)
-d 99999999999999999999999      => is not a duration
--duration=                     => is not a duration
-d                              => requires an argument
# --sort
--sort ''                       => --sort: '' is not one of
--sort bogus                    => --sort: 'bogus' is not one of count, time, avg, max, p99
--sort COUNT                    => 'COUNT' is not one of
--sort -1                       => '-1' is not one of
--sort count,time               => is not one of
--sort                          => requires an argument
# --hist: unknown reason names are only known once the kernel's are read
--hist ''                       => --hist needs a reason name
--hist bogus                    => --hist: 'bogus' is not an exit reason of this kernel
--hist -1                       => --hist: '-1' is not an exit reason
--hist 99999999999999999999     => is not an exit reason
--hist cpuid,hlt                => 'cpuid,hlt' is not an exit reason
--hist 'unknown(0x)'            => is not an exit reason
--hist 'unknown(0x7b'           => is not an exit reason
--hist 'all '                   => is not an exit reason
--hist                          => requires an argument
# --max-keys
--max-keys -1                   => --max-keys: '-1' is not a number from 16 to 4194304
--max-keys ''                   => --max-keys: '' is not a number
--max-keys 0                    => is not a number from 16 to 4194304
--max-keys 15                   => is not a number from 16
--max-keys 4194305              => is not a number from 16
--max-keys 18446744073709551616 => is not a number from 16
--max-keys 1k                   => is not a number from 16
--max-keys                      => requires an argument
# --vmm-time
--vmm-time ''                   => --vmm-time: '' is not one of auto, kvm_fpu, usdt, syscall
--vmm-time bogus                => --vmm-time: 'bogus' is not one of
--vmm-time USDT                 => 'USDT' is not one of
--vmm-time -1                   => '-1' is not one of
--vmm-time usdt,kvm_fpu         => is not one of
--attach bogus                  => --attach: 'bogus' is not one of auto, btf, classic
--attach BTF                    => --attach: 'BTF' is not one of
--vmm-time=usdt                 => --vmm-time=usdt needs -p
--bql                           => --bql needs -p
--vmm-time                      => requires an argument
# -I/--interval, -c/--count
-I -1                           => -I: '-1' is not a number of milliseconds from 10 to 3600000
-I ''                           => -I: '' is not a number
-I 0                            => -I: '0' is not a number
-I 9                            => -I: '9' is not a number of milliseconds from 10
-I 3600001                      => -I: '3600001' is not a number
-I 99999999999999999999         => is not a number of milliseconds
-I 1.5                          => -I: '1.5' is not a number
-I abc                          => -I: 'abc' is not a number
-I                              => requires an argument
-I 100 -c 0                     => -c: '0' is not a count of intervals from 1 to 4294967296
-I 100 -c -1                    => -c: '-1' is not a count
-I 100 -c ''                    => -c: '' is not a count
-I 100 -c 4294967297            => -c: '4294967297' is not a count
-I 100 -c x                     => -c: 'x' is not a count
-c 5                            => -c counts intervals: it needs -I
# --heatmap[=REASON|all|vmm], with -I
--heatmap=                      => --heatmap needs a reason name, 'all' or 'vmm'
--heatmap                       => --heatmap draws one column per interval: it needs -I
-I 100 --heatmap=bogus          => --heatmap: 'bogus' is not an exit reason of this kernel
-I 100 --heatmap bogus          => --heatmap: 'bogus' is not an exit reason
-I 100 --heatmap=cpuid,hlt      => 'cpuid,hlt' is not an exit reason
-I 100 --heatmap=-1             => '-1' is not an exit reason
# --heatmap-out FILE
--heatmap-out ''                => --heatmap-out: '' is not a file name ending in .json, .csv or .svg
--heatmap-out run.txt           => 'run.txt' is not a file name ending in .json, .csv or .svg
--heatmap-out run.json.tmp      => is not a file name ending in .json
--heatmap-out .json             => '.json' is not a file name ending in .json
-I 100 --heatmap --json         => --heatmap draws in the terminal, not in --json
--heatmap-out                   => requires an argument
# --slower-than DURATION, --trace-out FILE.json
--slower-than ''                => --slower-than: '' is not a duration \(a number and ns, us, ms or s
--slower-than 5                 => --slower-than: '5' is not a duration
--slower-than 0ms               => '0ms' is not a duration
--slower-than 0.1ns             => '0.1ns' is not a duration
--slower-than -1ms              => '-1ms' is not a duration
--slower-than 1e3ms             => '1e3ms' is not a duration
--slower-than 0x10ms            => '0x10ms' is not a duration
--slower-than 1.ms              => '1.ms' is not a duration
--slower-than .5ms              => '.5ms' is not a duration
--slower-than 2MS               => '2MS' is not a duration
--slower-than '2 ms'            => is not a duration
--slower-than 3601s             => '3601s' is not a duration \(a number and ns, us, ms or s: 500us, 2ms; 1ns to 3600s\)
--slower-than infms             => is not a duration
--slower-than                   => requires an argument
--trace-out t.json              => --trace-out writes the slow exits: it needs --slower-than
--slower-than 1ms --trace-out t.txt => --trace-out: 't.txt' is not a file name ending in .json
--slower-than 1ms --trace-out .json => '.json' is not a file name ending in .json
--slower-than 1ms --trace-out ''    => '' is not a file name ending in .json
--slower-than 1ms --trace-out x.json --prometheus 0 => --trace-out keeps every slow exit: not with --prometheus
--trace-out                     => requires an argument
# --color
--color ''                      => --color: '' is not one of auto, always, never
--color bogus                   => --color: 'bogus' is not one of
--color ALWAYS                  => 'ALWAYS' is not one of
--color                         => requires an argument
# --prometheus [ADDR:]PORT, --textfile FILE.prom
--prometheus ''                 => --prometheus: '' is not \[ADDR:\]PORT
--prometheus 65536              => --prometheus: '65536' is not \[ADDR:\]PORT
--prometheus -1                 => --prometheus: '-1' is not
--prometheus 9x                 => '9x' is not \[ADDR:\]PORT
--prometheus localhost:9560     => 'localhost:9560' is not \[ADDR:\]PORT
--prometheus 1.2.3:9560         => '1.2.3:9560' is not
--prometheus ::1:9560           => '::1:9560' is not
--prometheus [::1]:             => '\[::1\]:' is not
--prometheus 127.0.0.1:         => '127.0.0.1:' is not
--prometheus                    => requires an argument
--textfile x.txt                => --textfile: 'x.txt' is not a file name ending in .prom
--textfile .prom                => '.prom' is not a file name ending in .prom
--textfile dir/.prom            => 'dir/.prom' is not a file name ending in .prom
--textfile                      => requires an argument
--prometheus 0 --heatmap-out x.json => --heatmap and --heatmap-out keep every interval: not with --prometheus
--textfile x.prom -I 100 --heatmap  => not with --prometheus or --textfile
# report FILE: what only a live run takes (the file's own errors: the lead's parser tests)
report                          => report needs the FILE
report ''                       => report needs the FILE
report --json                   => report needs the FILE
report run.json -p 1            => report: -p applies to tracing, not to a saved run
report run.json -I 100          => report: -I/-c applies to tracing
report run.json --ports         => report: --ports/--mmio applies to tracing
report run.json --msr           => report: --msr/--cpuid applies to tracing
report run.json --halt          => report: --halt applies to tracing
--halt=1                        => doesn't allow an argument
report run.json --vmm-time usdt => report: --vmm-time applies to tracing
report run.json --slower-than 1ms => report: --slower-than applies to tracing
report run.json --prometheus 1  => report: --prometheus/--textfile applies to tracing
report run.json --textfile a.prom => report: --prometheus/--textfile applies to tracing
report a.json b.json            => unexpected argument 'b.json'
report run.json --sort bogus    => --sort: 'bogus' is not one of
# options that take no value
--json=1                        => doesn't allow an argument
--per-vcpu=yes                  => doesn't allow an argument
--ports=1                       => doesn't allow an argument
--mmio=x                        => doesn't allow an argument
--verbose=1                     => doesn't allow an argument
# no such option, and operands
--bogus                         => unrecognized option
-x                              => invalid option
-- 1234                         => unexpected argument '1234'
1234                            => unexpected argument '1234'
# a bad value after good options still fails
-p 1 --json --sort bad          => --sort: 'bad' is not one of
TABLE
)

# One line from the program, named as the program (getopt names it as
# invoked, argv[0]): "vmexitprof: ...", "./vmexitprof: ...".
line_re='^([^ ]*/)?vmexitprof: '
failures=0 nr=0
out=$(mktemp) errf=$(mktemp)
trap 'rm -f "$out" "$errf"' EXIT
while IFS= read -r row; do
	[[ $row =~ ^[[:space:]]*(#|$) ]] && continue
	args=${row%%=>*}
	want=${row#*=>}
	want=${want# }
	eval "argv=($args)"
	nr=$((nr + 1))
	rc=0
	# -d 1 first: a line the program wrongly accepts ends by itself (exit
	# 0, not 2) instead of running until the time-out. Not before 'report',
	# which must come first and does not trace.
	first=(-d 1)
	[[ ${argv[0]:-} != report ]] || first=()
	timeout -s KILL 20 "$bin" "${first[@]}" "${argv[@]}" >"$out" 2>"$errf" || rc=$?
	err=$(cat "$errf")
	why=()
	((rc == 2)) || why+=("exit status $rc, not 2")
	((rc < 128)) || why+=("killed by signal $((rc - 128))")
	grep -q -E 'Sanitizer|runtime error:' "$errf" && why+=("sanitizer report")
	[[ $(wc -l <"$errf") -eq 1 ]] || why+=("$(wc -l <"$errf") lines on stderr, not 1")
	[[ $err =~ $line_re ]] || why+=("stderr does not start with 'vmexitprof: '")
	[[ -z $want || $err =~ $want ]] || why+=("stderr does not match /$want/")
	[[ ! -s $out ]] || why+=("printed to stdout: $(head -c 200 "$out")")
	if ((${#why[@]})); then
		failures=$((failures + 1))
		printf 'FAILED: vmexitprof %s\n    %s\n    stderr: %s\n' "$args" "$(IFS=';'; echo "${why[*]}")" "$(head -c 2000 "$errf")"
	fi
done <<<"$cases"
echo "$nr bad command lines, $failures failed ($bin)"
((nr > 50)) || die "the table has only $nr cases"
((failures == 0))

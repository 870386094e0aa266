# Sourced by tests that run the ASan+UBSan build ('make sanitize').
# Sanitizer findings end the program (halt_on_error, and the build's
# -fno-sanitize-recover) and are printed on stderr.
asan_dir=${OUTPUT:-build}/asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
[[ -x $asan_dir/vmexitprof ]] || die "$asan_dir/vmexitprof is missing; run 'make sanitize' first"
for src in src/*.c; do
	[[ $asan_dir/vmexitprof -nt $src ]] || die "$asan_dir/vmexitprof is older than $src; run 'make sanitize'"
done

# assert_sanitizer_clean FILE WHAT: no ASan, LSan or UBSan report in FILE.
assert_sanitizer_clean() {
	! grep -q -E 'Sanitizer|runtime error:' "$1" || die "$2: sanitizer report: $(cat "$1")"
}

# wait_clean PID WHAT STDERR-FILE: the process must exit 0, with no
# sanitizer report on its stderr.
wait_clean() {
	local rc=0
	wait "$1" || rc=$?
	assert_sanitizer_clean "$3" "$2"
	((rc == 0)) || die "$2 exited $rc: $(cat "$3")"
}

#!/usr/bin/env bash
# tests/lib/run-split-suite, with a stand-in for the rig that runs the
# guest part here: a test passes only when its guest part and its host
# check both pass; a failing check, a failing guest part and a missing
# result each fail; exit 77 skips; the rig's own failure is passed on.
. "$(dirname "$0")/../lib/common.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
suite=$tmp/suite
mkdir "$suite"
# The rig: "RIG [OPTIONS] -- COMMAND", with /run/vmrun as $VMRUN_OUT; the
# guest's lines that match $DROP are lost; exits $RIG_STATUS if set.
cat >"$tmp/rig" <<'RIG'
#!/usr/bin/env bash
while [[ $1 != -- ]]; do shift; done
shift
mkdir -p "$VMRUN_OUT"
"${@/#SUITE_OUT=\/run\/vmrun/SUITE_OUT=$VMRUN_OUT}" | grep -v -e "${DROP:-^$}"
exit "${RIG_STATUS:-${PIPESTATUS[0]}}"
RIG
t() { printf '#!/usr/bin/env bash\n%s\n' "$2" >"$suite/$1"; chmod +x "$suite/$1"; }
t both-pass.sh 'echo 42 >"$TEST_OUT/answer"'
t both-pass.check '[[ $(cat "$1/answer") == 42 ]]'
t check-fails.sh 'echo 41 >"$TEST_OUT/answer"'
t check-fails.check 'echo "answer $(cat "$1/answer")"; [[ $(cat "$1/answer") == 42 ]]'
t guest-fails.sh 'echo broken; exit 3'
t guest-fails.check 'exit 0'
t no-check.sh 'exit 0'
t skipped.sh 'echo "no such thing here"; exit 77'
t lost.sh 'exit 0'
t not-run.sh.off 'exit 1'
chmod +x "$tmp/rig"

out=$(DROP="lost" tests/lib/run-split-suite "$suite" S "$tmp/rig" --opt) && die "run-split-suite exited 0 with failures"
results=$(grep -E '^(PASS|FAIL|SKIP): ' <<<"$out" | sed 's/ (.*//')
assert_eq "$results" "PASS: S/both-pass
FAIL: S/check-fails
FAIL: S/guest-fails
FAIL: S/lost
PASS: S/no-check
SKIP: S/skipped" "result lines"
assert_match "$out" "FAIL: S/check-fails \(host check exit 1; guest [0-9]+s, check [0-9]+s\)"$'\n'"    answer 41" "the check's output"
assert_match "$out" "FAIL: S/lost \(no result from the guest\)" "missing result"
assert_match "$out" "GUEST-FAIL: S/guest-fails \(exit 3, [0-9]+s\)"$'\n'"    broken" "the guest part's output"

rm "$suite"/{check-fails,guest-fails,lost}.*
tests/lib/run-split-suite "$suite" S "$tmp/rig" >/dev/null || die "run-split-suite failed with every test passing or skipped"
RIG_STATUS=125 expect_status 125 tests/lib/run-split-suite "$suite" S "$tmp/rig"

# Sourced by tests. Assertions print what differed and exit 1.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"

die() { echo "assertion failed: $*" >&2; exit 1; }
skip() { echo "$*"; exit 77; }
assert_eq() { [[ $1 == "$2" ]] || die "${3:-values differ}: got '$1', expected '$2'"; }
assert_match() { [[ $1 =~ $2 ]] || die "${3:-no match}: '$1' does not match /$2/"; }
# Run a command that must fail with a given status; keeps its stderr in $err.
expect_status() {
	local want=$1; shift
	local rc=0
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	((rc == want)) || die "'$*' exited $rc, expected $want; stderr: $err"
}

#!/usr/bin/env bash
# --prometheus against bad and abusive clients, with the ASan+UBSan build
# (make sanitize): an unknown path (404), POST and PUT
# (405, with Allow), a 100 KiB header (431 or dropped), a client sending a
# byte a second (dropped within the 10 s request deadline), 200 parallel
# connections, some of them idle (each answered whole or dropped). Between
# and after them /metrics keeps answering, the RSS stays bounded, and
# SIGTERM ends the run cleanly with nothing from the sanitizers.
. "$(dirname "$0")/../lib/common.sh"
[[ -d /sys/module/kvm ]] || skip "kvm is not loaded on this host"
. tests/lib/profile.sh
. tests/lib/sanitizers.sh
vmexitprof_cmd=("$asan_dir/vmexitprof")
# ASan holds freed memory back (256 MiB by default) to catch its reuse: a
# smaller quarantine, so that the RSS says what the exporter keeps.
export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=16

start_profiler prof --prometheus 0 -d 120
port=$(sed -n 's|^vmexitprof: serving metrics on http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$tmp/prof.err")
[[ -n $port ]] || die "no 'serving metrics' line: $(cat "$tmp/prof.err")"
python3 - "$port" "$prof_pid" <<'PY'
import socket, sys, threading, time
sys.path.insert(0, "tests/lib")
from reports import check, finish

port, pid = int(sys.argv[1]), int(sys.argv[2])


def rss_kib():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def exchange(data, timeout=15, chunk_delay=None):
    """Send data (at once, or a byte each chunk_delay s), read until closed: (status line, body, seconds)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    start = time.monotonic()
    got = b""
    try:
        if chunk_delay is None:
            s.sendall(data)
        else:
            for b in data:
                s.sendall(bytes([b]))
                time.sleep(chunk_delay)
        while True:
            part = s.recv(65536)
            if not part:
                break
            got += part
    except (ConnectionResetError, BrokenPipeError):
        pass
    except socket.timeout:
        got += b"<timed out>"
    finally:
        s.close()
    head, _, body = got.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(errors="replace"), head, body, time.monotonic() - start


def get(path="/metrics", method="GET", extra=b""):
    return exchange(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".encode() + extra + b"\r\n")


def serving(where):
    status, _, body, _ = get()
    ok = status.startswith("HTTP/1.1 200") and b"vmexitprof_build_info{" in body
    check(ok, f"{where}: GET /metrics answered {status!r}")
    return ok


rss0 = rss_kib()
serving("at the start")
status, head, body, _ = get("/")
check(status.startswith("HTTP/1.1 200") and b"/metrics" in body, f"GET /: {status}")
status, head, body, _ = get("/metrics", "HEAD")
check(status.startswith("HTTP/1.1 200") and body == b"" and b"Content-Length:" in head, f"HEAD: {status} {len(body)} bytes")
for path in ("/nope", "/metrics/x", "/favicon.ico"):
    status, *_ = get(path)
    check(status.startswith("HTTP/1.1 404"), f"GET {path}: {status}")
for method in ("POST", "PUT", "DELETE", "OPTIONS"):
    status, head, *_ = get("/metrics", method, b"Content-Length: 3\r\n\r\nabc" if method in ("POST", "PUT") else b"")
    check(status.startswith("HTTP/1.1 405") and b"Allow: GET, HEAD" in head, f"{method}: {status}")
status, *_ = get(extra=b"X-Big: " + b"a" * 100 * 1024 + b"\r\n")
check(not status.startswith("HTTP/1.1 200"), f"100 KiB header: {status!r}")
print(f"100 KiB header: {status or 'dropped'}")
serving("after the bad requests")

# A byte a second, in the background, while 200 connections come at once.
slow = {}
t = threading.Thread(target=lambda: slow.update(r=exchange(b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X: y\r\n" * 20,
                                                             timeout=30, chunk_delay=1)), daemon=True)
t.start()
results = {}


def one(i):
    try:
        if i % 4 == 0:   # idle: connect, send nothing
            results[i] = exchange(b"", timeout=20)[0] or "dropped"
        else:
            results[i] = get()[0] or "dropped"
    except OSError as e:
        results[i] = f"refused ({e.__class__.__name__})"


threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
for th in threads:
    th.start()
for th in threads:
    th.join(30)
kinds = {}
for r in results.values():
    k = r.split(" ", 1)[1] if r.startswith("HTTP/1.1") else r
    kinds[k] = kinds.get(k, 0) + 1
print(f"200 parallel connections (50 idle): {kinds}")
check(len(results) == 200, f"only {len(results)} of 200 connections ended within 30 s")
check(all(r.startswith(("HTTP/1.1 200", "dropped", "refused")) for r in results.values()),
      f"answers other than 200 or dropped: {kinds}")
check(kinds.get("200 OK", 0) > 0, "no connection of the 200 was answered")
t.join(40)
check(not t.is_alive(), "a byte a second: still sending after 40 s, never dropped")
status, _, _, secs = slow.get("r", ("<still sending>", b"", b"", 99))
check(not status.startswith("HTTP/1.1 200") and secs < 15,
      f"a byte a second: {status!r} after {secs:.1f} s (expected dropped within the 10 s deadline)")
print(f"a byte a second: {status or 'dropped'} after {secs:.1f} s")
time.sleep(1)
serving("after the flood")
rss1 = rss_kib()
print(f"RSS {rss0} KiB at the start, {rss1} KiB after")
check(rss1 - rss0 < 32 * 1024, f"RSS grew by {rss1 - rss0} KiB")
finish()
PY
kill -TERM "$prof_pid"
wait_clean "$prof_pid" "vmexitprof --prometheus (SIGTERM after the abuse)" "$tmp/prof.err"

#!/usr/bin/env bash
# Instructions per request of `cargo xtask bench overhead`'s endpoint, counted with callgrind.
#
# Wall-clock figures on a shared machine swing by a tenth; instruction counts
# repeat to within a fraction of a percent whatever else runs. This builds the
# benchmark's two servers the way the benchmark does (the no-I/O generated
# endpoint from tests/bench-noio and tests/bench-baseline, release, into
# target/generated-ws), then for each of: generated (the default
# RUN_HISTORY=sampled), generated with RUN_HISTORY=all, with RUN_HISTORY=off,
# hand-written: starts it under valgrind's callgrind (every
# thread counted), sends WARMUP requests, waits for the run-history writer to
# flush, zeroes the counters, sends exactly COUNT requests (the benchmark's
# body and cookie) on CONNS keep-alive connections, waits for the writer again
# (so the window holds those runs' inserts), dumps, and prints the total
# instructions of every thread divided by COUNT.
#
# usage: xtask/callgrind/overhead.sh [generated|all|off|baseline ...]
# env:   COUNT (4000), CONNS (16), WARMUP (800), SETTLE (3 s), NO_BUILD=1 to
#        reuse the built servers, KEEP=1 to keep the callgrind files
#        (then: callgrind_annotate DIR/cg.out.1), CG_OPTS for more callgrind
#        options: with "--cache-sim=yes" it also prints each cache level's
#        simulated misses per request (e.g. "--cache-sim=yes --D1=32768,8,64
#        --LL=524288,8,64" models this machine's L1d and L2 per core).
#        TARGET (target/generated-ws) for servers built elsewhere, e.g. with
#        line tables for callgrind_annotate.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${TARGET:-$ROOT/target/generated-ws}
COUNT=${COUNT:-4000}
CONNS=${CONNS:-16}
WARMUP=${WARMUP:-800}
SETTLE=${SETTLE:-3}
SECRET=a-benchmark-session-secret-that-is-long-enough-0123456789
WHICH=("$@")
[ ${#WHICH[@]} -eq 0 ] && WHICH=(generated all off baseline)

command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }

if [ "${NO_BUILD:-}" != 1 ]; then
    out=$TARGET/bench-noio
    cargo build --quiet -p bunbase --bin bunbase --manifest-path "$ROOT/Cargo.toml"
    "$ROOT/target/debug/bunbase" gen "$ROOT/tests/bench-noio/contracts" -o "$out" \
        --standalone --force --runtime-path "$ROOT/runtime-support" >/dev/null
    cp "$ROOT"/tests/bench-noio/server/* "$out/crates/noio-server/src/"
    [ -e "$out/Cargo.lock" ] || cp "$ROOT/generated-example/Cargo.lock" "$out/"
    for manifest in "$out/Cargo.toml" "$ROOT/tests/bench-baseline/Cargo.toml"; do
        CARGO_TARGET_DIR=$TARGET cargo build --quiet --release --manifest-path "$manifest"
    done
fi

measure() {
    local name=$1 bin=$2
    shift 2
    local dir port pid cookie total
    dir=$(mktemp -d "/tmp/bunbase-callgrind-$name.XXXX")
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    (cd "$dir" && exec env HOST=127.0.0.1 PORT="$port" \
        DATABASE_URL="sqlite://$dir/bench.db?mode=rwc" SESSION_SECRET=$SECRET \
        SESSION_COOKIE_SECURE=false RUST_LOG=info "$@" \
        valgrind --tool=callgrind ${CG_OPTS:-} --callgrind-out-file="$dir/cg.out" "$bin" \
        >"$dir/stdout.log" 2>"$dir/stderr.log") &
    pid=$!
    for _ in $(seq 600); do
        grep -q '^Cookie: ' "$dir/stdout.log" 2>/dev/null && break
        sleep 0.2
    done
    cookie=$(sed -n 's/^Cookie: //p' "$dir/stdout.log")
    [ -n "$cookie" ] || { echo "$name printed no cookie; see $dir" >&2; kill "$pid"; exit 1; }
    # The subshell exec'd valgrind, which runs the server as the same pid;
    # callgrind_control finds it by HOST (valgrind names its pipe after it).
    python3 "$ROOT/xtask/callgrind/load.py" "$port" "$cookie" "$WARMUP" "$CONNS"
    sleep "$SETTLE"
    HOST=127.0.0.1 callgrind_control -z "$pid" >/dev/null 2>&1
    python3 "$ROOT/xtask/callgrind/load.py" "$port" "$cookie" "$COUNT" "$CONNS"
    sleep "$SETTLE"
    HOST=127.0.0.1 callgrind_control -d "$pid" >/dev/null 2>&1
    kill -TERM "$pid"
    wait "$pid" || true
    local counts events
    counts=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$dir"/cg.out.1 | head -1)
    total=${counts%% *}
    printf '%-26s %12d instructions  %8d per request  (%s requests, %s connections)\n' \
        "$name" "$total" $((total / COUNT)) "$COUNT" "$CONNS"
    events=$(sed -n 's/^events: *//p' "$dir"/cg.out.1 | head -1)
    if [ "$events" != Ir ]; then
        python3 -c 'import sys; names, counts, n = sys.argv[1].split(), sys.argv[2].split(), int(sys.argv[3]); print("  per request: " + "  ".join(f"{a} {int(b) / n:.1f}" for a, b in zip(names, counts)))' \
            "$events" "$counts" "$COUNT"
    fi
    if [ "${KEEP:-}" = 1 ]; then echo "  kept: $dir"; else rm -rf "$dir"; fi
}

for which in "${WHICH[@]}"; do
    case $which in
        generated) measure generated "$TARGET/release/noio-server" ;;
        all) measure generated-RUN_HISTORY=all "$TARGET/release/noio-server" RUN_HISTORY=all ;;
        off) measure generated-RUN_HISTORY=off "$TARGET/release/noio-server" RUN_HISTORY=off ;;
        baseline) measure hand-written "$TARGET/release/bench-baseline" BENCH_BASELINE=noio ;;
        *) echo "unknown server $which (generated, all, off, baseline)" >&2; exit 1 ;;
    esac
done

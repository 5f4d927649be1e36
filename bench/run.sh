#!/usr/bin/env bash
# Claimdesk's benchmarks: they print figures and assert nothing (the tests hold behaviour;
# these machines are shared and noisy, so numbers are read, not enforced).
#   bash bench/run.sh            all of them (about 15 minutes on 2 cores after a build)
#   bash bench/run.sh lambda     cold start and memory of every function
#   bash bench/run.sh dynamo     DynamoDB requests and capacity per call and per sweep
#   bash bench/run.sh scale      10,000 due tickets, 10,000 mails, 1,000 creates through a slow network
#   bash bench/run.sh load       the local server under wrk on loopback
#   bash bench/run.sh signin     a local sign-in's CPU time; wrong passwords and unknown accounts alike
#   bash bench/run.sh export     10,000 and 100,000 warranty claims exported as CSV and Excel: time, peak heap
#   bash bench/run.sh search     10,000 articles + 100,000 solutions: suggestion and search p50/p99, index
#                                build time and size; the AWS indexer's requests per change and freshness
# Needs what scripts/test.sh installs (.venv with moto) and wrk (apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi

echo "== release build (this machine's architecture): functions, the hello-world baseline, the local server"
cargo build --release --locked -p claimdesk-functions -p claimdesk-bench -p claimdesk

cleanup=()
trap 'for pid in "${cleanup[@]}"; do kill "$pid" 2>/dev/null || true; done' EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {
    for _ in $(seq 1 100); do
        if python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; then return 0; fi
        sleep 0.2
    done
    echo "nothing answers at $1" >&2
    return 1
}

if [ "$which" = all ] || [ "$which" = lambda ] || [ "$which" = dynamo ] || [ "$which" = scale ] || [ "$which" = search ]; then
    port=$(free_port)
    .venv/bin/python scripts/emulator.py "$port" > target/bench-emulator.log 2>&1 &
    cleanup+=($!)
    wait_for "http://127.0.0.1:$port/moto-api/"
    export CLAIMDESK_AWS_ENDPOINT="http://127.0.0.1:$port"
fi

if [ "$which" = all ] || [ "$which" = lambda ]; then
    echo "== Lambda cold start and memory: target/release/lambda-bench --runs 5 --warm 1000"
    target/release/lambda-bench --bin-dir target/release --runs 5 --warm 1000
fi

if [ "$which" = all ] || [ "$which" = dynamo ]; then
    echo "== DynamoDB cost: target/release/dynamo-cost --sizes 1000,100000 --due 10"
    target/release/dynamo-cost --sizes 1000,100000 --due 10
fi

if [ "$which" = all ] || [ "$which" = scale ]; then
    echo "== at scale, 5 ms per DynamoDB request and 50 ms per SES send: target/release/at-scale"
    target/release/at-scale --due 10000 --mails 10000 --send-rate 200 --creates 1000
fi

if [ "$which" = all ] || [ "$which" = export ]; then
    echo "== claim exports: target/release/export-claims --sizes 10000,100000"
    target/release/export-claims --sizes 10000,100000
fi

if [ "$which" = all ] || [ "$which" = search ]; then
    echo "== search: target/release/search-bench --articles 10000 --solutions 100000 --queries 1000"
    target/release/search-bench --articles 10000 --solutions 100000 --queries 1000
    echo "== search on AWS (the emulator): target/release/search-bench --aws --aws-docs 10000"
    target/release/search-bench --aws --aws-docs 10000
fi

if [ "$which" = all ] || [ "$which" = signin ]; then
    echo "== sign-in cost: target/release/sign-in-cost --attempts 1000"
    target/release/sign-in-cost --attempts 1000
fi

if [ "$which" = all ] || [ "$which" = load ]; then
    command -v wrk > /dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
    data=$(mktemp -d)
    port=$(free_port)
    target/release/claimdesk serve --data "$data" --port "$port" --rate-limits off > target/bench-server.log 2>&1 &
    cleanup+=($!)
    wait_for "http://127.0.0.1:$port/v1/openapi.json"
    base="http://127.0.0.1:$port"
    agent=$(target/release/claimdesk token --data "$data" --email agent@vendor.test --company VENDOR --role agent_l1)
    owner=$(target/release/claimdesk token --data "$data" --email owner@acme.test --company ACME --role owner)
    python3 - "$base" "$agent" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
body = json.dumps({"code": "ACME", "name": "ACME Inc", "first_level_support_email": "support@acme.test"}).encode()
request = urllib.request.Request(base + "/v1/companies", data=body, method="POST",
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
urllib.request.urlopen(request)
PY
    for connections in 8 32; do
        echo "== local server: create-ticket for one company, wrk -t2 -c$connections -d10s (loopback)"
        CLAIMDESK_TOKEN="$owner" wrk -t2 -c"$connections" -d10s --latency -s bench/create-ticket.lua "$base/v1/tickets"
    done
    echo "== local server: list-tickets (company view, first page of 25), wrk -t2 -c8 -d10s"
    CLAIMDESK_TOKEN="$owner" wrk -t2 -c8 -d10s --latency -s bench/list-tickets.lua "$base/v1/tickets?view=company&limit=25"
    echo "== local server: storage once the outbox has delivered every ticket's mail"
    python3 - "$data/claimdesk.db" <<'PY'
import os, sqlite3, sys, time
path = sys.argv[1]
db = sqlite3.connect(path, timeout=30)
started = time.monotonic()
for _ in range(600):
    pending = db.execute("SELECT COUNT(*) FROM items WHERE outboxpk IS NOT NULL").fetchone()[0]
    if pending == 0:
        break
    time.sleep(1)
# How far the outbox worker was behind the creates (a mail within a minute of its cause).
print(f"the outbox had delivered everything {time.monotonic() - started:.0f} s after the last load run")
tickets = db.execute("SELECT COUNT(*) FROM items WHERE sk = 'META' AND pk LIKE 'TICKET#%'").fetchone()[0]
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
size = os.path.getsize(path)
print(f"{tickets} tickets, {pending} notices still pending, SQLite file {size / 1e6:.1f} MB: "
      f"{size / max(tickets, 1) / 1024:.2f} KB a ticket, {size / max(tickets, 1) * 20000 / 1e6:.1f} MB for 20,000")
PY
    rm -rf "$data"
fi

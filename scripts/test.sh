#!/usr/bin/env bash
# Claimdesk's whole test suite: formatting, lints, unit and integration tests on both
# engines (the AWS one against the moto emulator), and one release Lambda binary run
# under a local Lambda runtime API; the portal in headless chromium. Run from anywhere:
# `bash scripts/test.sh`.
# CI runs exactly this (.ci/run). It installs what it needs on first use: Python tools into
# .venv, and Debian's chromium and chromium-driver when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Python tools (.venv)"
stamp=.venv/.requirements.sha256
want=$(sha256sum scripts/requirements-test.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
    echo "$want" > "$stamp"
fi

echo "== Chromium and ChromeDriver for the browser tests (Debian's packages)"
if ! command -v chromium > /dev/null || ! command -v chromedriver > /dev/null; then
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get install -y -qq chromium chromium-driver > /dev/null 2>&1 \
        || { $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium chromium-driver > /dev/null; }
fi
export CLAIMDESK_CHROMIUM="$(command -v chromium)"
export CLAIMDESK_CHROMEDRIVER="$(command -v chromedriver)"
"$CLAIMDESK_CHROMIUM" --version 2> /dev/null

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cfn-lint infra/template.yaml"
.venv/bin/cfn-lint infra/template.yaml

echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== build of the Lambda the runtime test runs (profile local: release without LTO)"
cargo build --profile local --locked -p claimdesk-functions --bin create-ticket
export CLAIMDESK_LAMBDA_BINARY="$PWD/target/local/create-ticket"

export CLAIMDESK_SCHEMATHESIS="$PWD/.venv/bin/st"

echo "== AWS emulator"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
.venv/bin/python scripts/emulator.py "$port" > target/emulator.log 2>&1 &
emulator=$!
log=$(mktemp)
trap 'kill "$emulator" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
    if python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
        "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then break; fi
    if ! kill -0 "$emulator" 2>/dev/null; then cat target/emulator.log; exit 1; fi
    sleep 0.2
done
export CLAIMDESK_AWS_ENDPOINT="http://127.0.0.1:$port"
echo "emulator on $CLAIMDESK_AWS_ENDPOINT"

echo "== cargo test"
cargo test --workspace --locked 2>&1 | tee "$log"
# One closing line for the whole run (cargo's own last line is that of its last target).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f; if (p == 0) exit 1 }' "$log"

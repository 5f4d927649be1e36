#!/usr/bin/env bash
# Builds every function for Lambda (arm64, provided.al2023) as target/lambda/<name>/bootstrap.zip
# and prints each one's zipped size. `sam build` does the same through BuildMethod
# rust-cargolambda. Needs cargo-lambda and ziglang (both from PyPI; installed into .venv
# here) and the Rust target aarch64-unknown-linux-gnu (`rustup target add`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/cargo-lambda ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==1.9.2' 'ziglang==0.17.1'
fi
export PATH="$PWD/.venv/bin:$PATH"
cargo lambda build --release --arm64 --locked -p claimdesk-functions --output-format zip
python3 - target/lambda/*/bootstrap.zip <<'PY'
import os, sys, zipfile
print(f"{'function':<22} {'zip KB':>8} {'binary KB':>10}")
for path in sorted(sys.argv[1:]):
    name = os.path.basename(os.path.dirname(path))
    binary = sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    print(f"{name:<22} {os.path.getsize(path) // 1024:>8} {binary // 1024:>10}")
PY

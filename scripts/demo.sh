#!/usr/bin/env bash
# The demo: Prometheus and a synthetic canary/stable app on loopback, one healthy and one regressed verification
# driven through the bridge (loaded as the controller loads it) → engine → Prometheus. Extra args go to the demo.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh >&2
npm run --silent build >&2
npm run --silent build:bridge >&2
exec node dist/cli/main.js demo "$@"

#!/usr/bin/env bash
# Every test: type check, unit and integration tests (vitest, real Prometheus), the bridge's Go unit tests and
# the Go conformance test that loads the built bridge exactly as the Argo Rollouts controller does.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
npm run --silent build
npm run --silent build:bridge
npx tsc --noEmit -p tsconfig.json
npx vitest run
cd plugin/bridge
go vet ./...
ROLLOUTS_CV_CONFORMANCE=required go test -count=1 ./...

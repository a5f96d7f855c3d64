#!/usr/bin/env bash
# Every test: the Helm chart (helm lint and helm template with each value set), type check, unit and integration
# tests (vitest, real Prometheus, the rendered chart), the bridge's Go unit tests and the Go conformance test that
# loads the built bridge exactly as the Argo Rollouts controller does.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
helm=$(bash scripts/helm.sh)
for values in "" charts/rollouts-cv/ci/*-values.yaml; do
  args=(${values:+--values "$values"})
  "$helm" lint --strict --quiet charts/rollouts-cv "${args[@]}"
  "$helm" template rollouts-cv charts/rollouts-cv --namespace rollouts-cv "${args[@]}" >/dev/null
done
npm run --silent build
npm run --silent build:bridge
npx tsc --noEmit -p tsconfig.json
npx vitest run
cd plugin/bridge
go vet ./...
ROLLOUTS_CV_CONFORMANCE=required go test -count=1 ./...

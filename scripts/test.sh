#!/usr/bin/env bash
# Every test: the GitHub workflows (actionlint), the Helm chart (helm lint and helm template with each value set),
# type check, unit and integration tests (vitest, real Prometheus, the rendered chart) on this machine's Node.js and
# on the LTS the images run, the bridge's Go unit tests and the Go conformance test that loads the built bridge
# exactly as the Argo Rollouts controller does.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# The workflow linter is built once (about a minute); CI always builds and runs it, elsewhere it runs once built.
if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ] || bash scripts/actionlint.sh --path >/dev/null; then
  "$(bash scripts/actionlint.sh)" .github/workflows/*.yml
else
  echo "test.sh: skipping the workflow lint: actionlint is not built yet (bash scripts/actionlint.sh builds it)" >&2
fi
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
# The unit suite again on the Node.js LTS of the images, unless that is the Node.js that just ran it.
lts=$(bash scripts/node-lts.sh)
if [ "$("$lts" -v)" != "$(node -v)" ]; then
  echo "test.sh: the unit suite on Node.js $("$lts" -v), the images' runtime" >&2
  "$lts" node_modules/vitest/vitest.mjs run
fi
cd plugin/bridge
go vet ./...
ROLLOUTS_CV_CONFORMANCE=required go test -count=1 ./...

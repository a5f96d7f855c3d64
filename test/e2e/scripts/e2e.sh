#!/usr/bin/env bash
# npm run test:e2e: builds (or finds cached) the cluster components, the engine and the bridge, then runs the
# end-to-end suite. Extra arguments go to vitest (e.g. -t 'healthy').
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"
bash test/e2e/scripts/build-components.sh
npm run build   # the engine and the sandbox run from dist/
npm run build:bridge   # the controller loads this binary; rebuilt so it matches the source
command -v kubectl >/dev/null || { echo "e2e: kubectl is not on PATH (kwokctl and the harness use it)" >&2; exit 1; }
exec npx vitest run --config test/e2e/vitest.config.ts "$@"

#!/usr/bin/env bash
# Installs what a fresh machine lacks for building, testing and the demo. Idempotent and quiet when
# everything is already there, so every entry point (npm test, npm run demo, .ci/run) can call it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  echo "setup: installing Debian packages: $*" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
# a second PromQL server: the Prometheus source is tested against both
command -v victoria-metrics >/dev/null || missing+=(victoria-metrics)
command -v file >/dev/null || missing+=(file)
command -v openssl >/dev/null || missing+=(openssl)
# pipelines write release repositories with git (and the tests serve them with git http-backend)
command -v git >/dev/null || missing+=(git)
# the e2e suite's Argo CD keeps its cache in a redis
command -v redis-server >/dev/null || missing+=(redis-server)
# actionlint checks the workflows' run: scripts with shellcheck when it is there
command -v shellcheck >/dev/null || missing+=(shellcheck)
# the report page is tested in a real headless Chromium (driven by playwright-core), in the fonts the page asks for
command -v chromium >/dev/null || missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

command -v go >/dev/null || { echo "setup: Go 1.26 or newer is required (go not on PATH)" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || { echo "setup: Node.js 20.19 or newer is required (found $(node -v))" >&2; exit 1; }

# npm ci when node_modules is missing or older than the lock file.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

(cd plugin/bridge && go mod download)

# helm, pinned, built once from the Go module proxy into a cache outside the repository (scripts/helm.sh).
bash scripts/helm.sh >/dev/null
# The Node.js LTS the images run, installed once from the npm registry (scripts/node-lts.sh): the unit suite runs
# on it too.
bash scripts/node-lts.sh >/dev/null

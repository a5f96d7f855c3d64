#!/usr/bin/env bash
# Prints the path of a helm binary at a pinned v3 version, building it from the Go module proxy the first
# time (cold: a few minutes on 2 cores) into a cache outside the repository, and reusing it afterwards.
#   bash scripts/helm.sh            → /root/.cache/rollouts-cv/helm-v3.21.4/helm
#   "$(bash scripts/helm.sh)" lint charts/rollouts-cv --strict
#   bash scripts/helm.sh --path     → the same path, without building (exit 1 when it is not built yet)
# ROLLOUTS_CV_HELM_VERSION overrides the version; ROLLOUTS_CV_HELM_DIR the cache folder.
set -euo pipefail
version=${ROLLOUTS_CV_HELM_VERSION:-v3.21.4}
dir=${ROLLOUTS_CV_HELM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/helm-$version}
bin=$dir/helm

if [ "${1:-}" = --path ]; then
  echo "$bin"
  [ -x "$bin" ]
  exit
fi

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "helm.sh: Go is required to build helm $version" >&2; exit 1; }
  echo "helm.sh: building helm $version from the Go module proxy into $dir (once)" >&2
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # go install pkg@version builds exactly the module's go.mod (no replace directives in helm v3's).
  # The version ldflag makes `helm version` report it, as release builds do.
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$version" \
    "helm.sh/helm/v3/cmd/helm@$version" >&2
  mv "$tmp/helm" "$bin"
fi
echo "$bin"

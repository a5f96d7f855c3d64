#!/usr/bin/env bash
# Prints the path of an actionlint binary (the GitHub Actions workflow linter) at a pinned version, building it
# from the Go module proxy the first time (about a minute on 2 cores) into a cache outside the repository, and
# reusing it afterwards; scripts/helm.sh does the same for helm.
#   bash scripts/actionlint.sh            → /root/.cache/rollouts-cv/actionlint-v1.7.12/actionlint
#   "$(bash scripts/actionlint.sh)" .github/workflows/*.yml
#   bash scripts/actionlint.sh --path     → the same path, without building (exit 1 when it is not built yet)
# ROLLOUTS_CV_ACTIONLINT_VERSION overrides the version; ROLLOUTS_CV_ACTIONLINT_DIR the cache folder.
set -euo pipefail
version=${ROLLOUTS_CV_ACTIONLINT_VERSION:-v1.7.12}
dir=${ROLLOUTS_CV_ACTIONLINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/actionlint-$version}
bin=$dir/actionlint

if [ "${1:-}" = --path ]; then
  echo "$bin"
  [ -x "$bin" ]
  exit
fi

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "actionlint.sh: Go is required to build actionlint $version" >&2; exit 1; }
  echo "actionlint.sh: building actionlint $version from the Go module proxy into $dir (once)" >&2
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # The version ldflag makes `actionlint -version` report it, as release builds do.
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -trimpath \
    -ldflags "-s -w -X github.com/rhysd/actionlint.version=$version" \
    "github.com/rhysd/actionlint/cmd/actionlint@$version" >&2
  mv "$tmp/actionlint" "$bin"
fi
echo "$bin"

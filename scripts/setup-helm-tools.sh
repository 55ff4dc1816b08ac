#!/bin/sh
# What test/ops/helm-chart.real.test.ts checks infra/helm/umca with, installed when missing, into
# ${UMCA_CACHE_DIR:-~/.cache/umca}/helm (outside the checkout, so a fresh clone on this machine
# finds it):
#  - Helm 4 (helm.sh/helm/v4, cmd/helm) and kubeconform (github.com/yannh/kubeconform), built from
#    the Go module proxy into bin/;
#  - the Kubernetes JSON schemas kubeconform validates against, made from the OpenAPI document in
#    the k8s.io/kubernetes Go module (api/openapi-spec/swagger.json) by openapi2jsonschema (PyPI,
#    the converter kubeconform's own schemas come from), into kubernetes-json-schema/;
#  - SpinKube's SpinApp schema, made from the CRD in the spin-operator Go module
#    (config/crd/bases) by kubeconform's scripts/openapi2jsonschema.py, into spinkube-json-schema/.
# Each piece carries a stamp with its version and is redone only when that changes; a piece is
# made under a temporary name and renamed when whole. The Go module and build caches keep the
# downloads and compiled packages, so a rebuild after a version change is quicker.
#
#   sh scripts/setup-helm-tools.sh               # install what is missing
#   sh scripts/setup-helm-tools.sh --print-dir   # print where the tools are (installs nothing)
#
# Needs Go (1.24 or newer) and python3 with venv.
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca helm tools: %s\n' "$*" >&2; }

HELM_VERSION=v4.3.2
KUBECONFORM_VERSION=v0.8.0
# The Kubernetes release whose API the schemas describe (and kubeconform's -kubernetes-version).
KUBERNETES_VERSION=v1.37.2
SPIN_OPERATOR_VERSION=v0.6.1
OPENAPI2JSONSCHEMA_VERSION=0.9.1

dir=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}/helm
case "${1:-}" in
  '') ;;
  --print-dir)
    [ $# -eq 1 ] || { say "--print-dir takes nothing after it (it was given: $*)"; exit 2; }
    printf '%s\n' "$dir"
    exit 0
    ;;
  *) say "unknown argument $1: run it without arguments to install, or with --print-dir to print where the tools go"; exit 2 ;;
esac

gobin=$(command -v go || echo /usr/local/go/bin/go)
[ -x "$gobin" ] || { say "Go is needed to build Helm and kubeconform from the Go module proxy: install Go 1.24 or newer"; exit 1; }
command -v python3 >/dev/null 2>&1 || { say "python3 (with venv) is needed to make the JSON schemas"; exit 1; }
mkdir -p "$dir/bin"
stamp() { cat "$dir/$1.version" 2>/dev/null || true; }
# Go commands run in a scratch folder, outside any module, so no go.mod is read or written.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM
module_dir() { (cd "$scratch" && "$gobin" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p'); }

if [ "$(stamp helm)" != "$HELM_VERSION" ] || [ ! -x "$dir/bin/helm" ]; then
  say "building Helm $HELM_VERSION (helm.sh/helm/v4) into $dir/bin (several minutes the first time on 2 cores)"
  # The version stamp Helm's own Makefile sets, so `helm version` names the release.
  (cd "$scratch" && GOBIN="$scratch" "$gobin" install -ldflags "-X helm.sh/helm/v4/internal/version.version=$HELM_VERSION" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION")
  mv "$scratch/helm" "$dir/bin/helm"
  printf '%s\n' "$HELM_VERSION" >"$dir/helm.version"
fi

if [ "$(stamp kubeconform)" != "$KUBECONFORM_VERSION" ] || [ ! -x "$dir/bin/kubeconform" ]; then
  say "building kubeconform $KUBECONFORM_VERSION into $dir/bin"
  (cd "$scratch" && GOBIN="$scratch" "$gobin" install "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION")
  mv "$scratch/kubeconform" "$dir/bin/kubeconform"
  printf '%s\n' "$KUBECONFORM_VERSION" >"$dir/kubeconform.version"
fi

# openapi2jsonschema 0.9.1 pins PyYAML<6, which no longer builds on current Pythons; its code runs
# unchanged on PyYAML 6, so it is installed without its pins and with these.
venv="$dir/python"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('openapi2jsonschema') != '$OPENAPI2JSONSCHEMA_VERSION')" 2>/dev/null; then
  say "installing openapi2jsonschema $OPENAPI2JSONSCHEMA_VERSION into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "click==7.1.2" "jsonref==0.2" "PyYAML==6.0.3" "colorama==0.4.6" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "openapi2jsonschema==$OPENAPI2JSONSCHEMA_VERSION" >&2
fi

schemas="$dir/kubernetes-json-schema"
k8s_stamp="$KUBERNETES_VERSION openapi2jsonschema-$OPENAPI2JSONSCHEMA_VERSION"
if [ "$(stamp kubernetes-json-schema)" != "$k8s_stamp" ] || [ ! -s "$schemas/$KUBERNETES_VERSION-standalone-strict/deployment-apps-v1.json" ]; then
  source_dir=$(module_dir "k8s.io/kubernetes@$KUBERNETES_VERSION")
  [ -s "$source_dir/api/openapi-spec/swagger.json" ] || { say "k8s.io/kubernetes@$KUBERNETES_VERSION has no api/openapi-spec/swagger.json"; exit 1; }
  say "making the Kubernetes $KUBERNETES_VERSION JSON schemas (standalone, strict) from its OpenAPI document (about 5 minutes on 2 cores)"
  rm -rf "$schemas.part"
  mkdir -p "$schemas.part"
  # The flags kubeconform's own schemas are made with (yannh/kubernetes-json-schema).
  (cd "$schemas.part" && "$venv/bin/openapi2jsonschema" -o "$KUBERNETES_VERSION-standalone-strict" --expanded --kubernetes --stand-alone --strict \
    "$source_dir/api/openapi-spec/swagger.json" >/dev/null)
  rm -rf "$schemas"
  mv "$schemas.part" "$schemas"
  printf '%s\n' "$k8s_stamp" >"$dir/kubernetes-json-schema.version"
fi

crds="$dir/spinkube-json-schema"
if [ "$(stamp spinkube-json-schema)" != "$SPIN_OPERATOR_VERSION" ] || [ ! -s "$crds/spinapp-core-v1alpha1.json" ]; then
  operator_dir=$(module_dir "github.com/spinkube/spin-operator@$SPIN_OPERATOR_VERSION")
  kubeconform_dir=$(module_dir "github.com/yannh/kubeconform@$KUBECONFORM_VERSION")
  say "making SpinKube's SpinApp and SpinAppExecutor schemas from spin-operator $SPIN_OPERATOR_VERSION's CRDs"
  rm -rf "$crds.part"
  mkdir -p "$crds.part"
  # kindSuffix as kubeconform makes it: the group's first label and the version (spinapp-core-v1alpha1).
  (cd "$crds.part" && FILENAME_FORMAT='{kind}-{group}-{version}' DENY_ROOT_ADDITIONAL_PROPERTIES=1 \
    "$venv/bin/python" "$kubeconform_dir/scripts/openapi2jsonschema.py" "$operator_dir"/config/crd/bases/*.yaml >/dev/null)
  cp "$operator_dir"/config/crd/bases/*.yaml "$crds.part/"
  rm -rf "$crds"
  mv "$crds.part" "$crds"
  printf '%s\n' "$SPIN_OPERATOR_VERSION" >"$dir/spinkube-json-schema.version"
fi
printf 'kubernetes %s\n' "$KUBERNETES_VERSION" >"$dir/versions.txt.part"
printf 'helm %s\nkubeconform %s\nspin-operator %s\n' "$HELM_VERSION" "$KUBECONFORM_VERSION" "$SPIN_OPERATOR_VERSION" >>"$dir/versions.txt.part"
mv "$dir/versions.txt.part" "$dir/versions.txt"

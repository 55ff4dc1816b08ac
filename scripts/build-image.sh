#!/bin/sh
# Builds UMCA's container image from the Containerfile with podman (daemonless; no Docker engine)
# and prints the image's name on stdout. See docs/image.md.
#
#   sh scripts/build-image.sh [--tag NAME]        (default umca:dev)
#
# What it passes in at build time, never writing it into a file or the image:
#   - npm's registry, as `npm config get registry` says (build argument NPM_REGISTRY);
#   - the CA bundle Node trusts here (NODE_EXTRA_CA_CERTS, else npm's cafile), as the build secret
#     npm-ca, for registries behind a TLS-intercepting proxy.
# npm's download cache lives outside the image: this machine's own (`npm config get cache`),
# mounted into the build's RUN steps and never committed, so the build's `npm ci` takes what the
# checkout's already downloaded, and a changed lockfile downloads only what changed. The base image (ARG NODE_IMAGE) is used as it is when it is already local (--pull=never):
# scripts/setup-image-tools.sh pulls it or makes a stand-in. Layers are cached (--layers), so a
# second build of the same tree takes seconds.
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca image build: %s\n' "$*" >&2; }
usage() { printf 'umca image build: %s\nusage: sh scripts/build-image.sh [--tag NAME]\n' "$1" >&2; exit 2; }

tag=umca:dev
while [ $# -gt 0 ]; do
  case "$1" in
    --tag)
      [ $# -ge 2 ] && [ -n "$2" ] || usage "--tag needs an image name, e.g. --tag umca:dev"
      tag=$2
      shift 2
      ;;
    *) usage "unknown argument $1" ;;
  esac
done
case "$tag" in *[!a-zA-Z0-9._/:@-]* | -*) usage "--tag \"$tag\" is not an image name; use letters, digits and . _ - / : (e.g. umca:dev)" ;; esac

command -v podman >/dev/null 2>&1 || { say "podman is missing: run sh scripts/setup-image-tools.sh (Debian: apt-get install -y podman buildah)"; exit 1; }
base=$(sed -n 's/^ARG NODE_IMAGE=//p' Containerfile | head -n 1)
pull=--pull=missing
if podman image exists "$base"; then pull=--pull=never; fi

registry=$(npm config get registry 2>/dev/null || true)
set -- --build-arg "NPM_REGISTRY=$registry"
ca=${NODE_EXTRA_CA_CERTS:-}
[ -n "$ca" ] || ca=$(npm config get cafile 2>/dev/null || true)
if [ -n "$ca" ] && [ "$ca" != null ] && [ -s "$ca" ]; then set -- "$@" --secret "id=npm-ca,src=$ca"; fi

# Podman asks for nofile 1048576 in every container; a caller without CAP_SYS_RESOURCE (as on
# machines that run this in a container of their own) may not raise its limits, so the build
# keeps the caller's own. nproc: runc refuses values near the caller's limit there, 32768 passes.
nofile=$(awk '/^Max open files/ { print $5 }' /proc/self/limits)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(awk '/^Max processes/ { print $4 }' /proc/self/limits)
{ [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; } && nproc=32768

# This machine's own npm cache, which the checkout's `npm ci` has just filled with every package
# of the lockfile: a first build then downloads next to nothing.
npm_cache=$(npm config get cache 2>/dev/null || true)
[ -n "$npm_cache" ] && [ "$npm_cache" != undefined ] || npm_cache=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}/image/npm-cache
mkdir -p "$npm_cache"

say "building $tag from $base ($pull)"
podman build --format docker --layers "$pull" --volume "$npm_cache:/root/.npm" \
  --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" \
  "$@" --tag "$tag" --file Containerfile . >&2
printf '%s\n' "$tag"

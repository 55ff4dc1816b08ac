#!/bin/sh
# Writes the seccomp profile UMCA's container needs: the container engine's own default profile
# with one change, `sethostname` allowed without CAP_SYS_ADMIN. bubblewrap names each sandbox's
# UTS namespace `sandbox`; the kernel still allows that only inside a namespace the sandbox owns,
# so the container's own host name stays out of reach. Everything else is the engine's default.
# See docs/image.md.
#
#   sh ops/image/seccomp-profile.sh [--from FILE] --to FILE
#
# --from: the engine's default profile (default /usr/share/containers/seccomp.json, which podman
# and CRI-O use). Needs node. Exit 0 written, 2 bad usage (nothing written), 1 failed.
set -eu
from=/usr/share/containers/seccomp.json
to=""
usage() { printf 'seccomp-profile: %s\nusage: sh ops/image/seccomp-profile.sh [--from FILE] --to FILE\n' "$1" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] && [ -n "$2" ] || usage "--from needs the engine's default profile (a JSON file)"; from=$2; shift 2 ;;
    --to) [ $# -ge 2 ] && [ -n "$2" ] || usage "--to needs the file to write"; to=$2; shift 2 ;;
    *) usage "unknown argument $1" ;;
  esac
done
[ -n "$to" ] || usage "--to is required: where to write the profile"
[ -f "$from" ] || usage "--from $from: no such file; give the container engine's default seccomp profile (podman: /usr/share/containers/seccomp.json)"
[ -d "$(dirname "$to")" ] || usage "--to $to: the folder $(dirname "$to") does not exist"

node - "$from" "$to" <<'JS'
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
const [from, to] = process.argv.slice(2);
let profile;
try {
  profile = JSON.parse(readFileSync(from, 'utf8'));
} catch (error) {
  console.error(`seccomp-profile: --from ${from} is not a JSON seccomp profile: ${error.message}`);
  process.exit(2);
}
if (!Array.isArray(profile.syscalls)) {
  console.error(`seccomp-profile: --from ${from} has no "syscalls" list; is it a seccomp profile?`);
  process.exit(2);
}
// Drop sethostname from every rule (the engine allows it with CAP_SYS_ADMIN and refuses it
// otherwise), then allow it whatever the capabilities.
profile.syscalls = profile.syscalls
  .map((rule) => ({ ...rule, names: rule.names.filter((name) => name !== 'sethostname') }))
  .filter((rule) => rule.names.length > 0);
profile.syscalls.push({
  names: ['sethostname'],
  action: 'SCMP_ACT_ALLOW',
  comment: 'UMCA: bubblewrap names each sandbox UTS namespace; the kernel checks CAP_SYS_ADMIN in the namespace that owns it',
});
writeFileSync(`${to}.part`, `${JSON.stringify(profile, null, 2)}\n`);
renameSync(`${to}.part`, to);
JS

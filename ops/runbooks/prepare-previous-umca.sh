#!/bin/sh
# A previous version of UMCA, built and ready to run, for the upgrade drill (upgrade-drill.sh):
# a git worktree of the commit under ${UMCA_CACHE_DIR:-~/.cache/umca}/upgrade-drill/<commit>,
# built once (a stamp marks it whole; later runs reuse it). Its npm dependencies cost nothing when
# this checkout's node_modules already holds every package the old lockfile names at the same
# version: the worktree's node_modules is then links into this one's (its own @umca/* workspaces
# aside); otherwise it runs `npm ci` in the worktree once. The default --from is the commit before
# the newest store migration (the newest commit that adds CREATE/ALTER TABLE or INDEX to the
# store's migration files). Prints on stdout "commit SHA", "home DIR", "deps reused|installed"
# and "prepared-ms N"; progress on stderr.
#
#   sh ops/runbooks/prepare-previous-umca.sh [--from REF]
#
# Exit 2 (nothing left behind) for a shallow clone, an unknown ref, or no store migration between
# REF and HEAD; 1 when the install or build fails (its output's end is shown).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
say() { printf 'prepare-previous-umca: %s\n' "$*" >&2; }
refuse() { say "$*"; exit 2; }
from=""
while [ $# -gt 0 ]; do
  case "$1" in
    --from) [ $# -ge 2 ] && [ -n "$2" ] || refuse "--from needs a git ref (a commit, tag or branch)"; from=$2; shift 2 ;;
    *) refuse "unknown argument '$1'; usage: $0 [--from REF]" ;;
  esac
done
now_ms() { node -e 'process.stdout.write(String(Date.now()))'; }
started=$(now_ms)
git_() { git -C "$root" "$@"; }
store_files="packages/store/src/open-sqlite-store.ts packages/store/src/postgres/postgres-migrations.ts"

if [ "$(git_ rev-parse --is-shallow-repository)" = true ]; then
  refuse "this clone is shallow: the previous version's commits are missing (CI often clones with --depth 1). Fetch the history first: git fetch --unshallow (or clone without --depth)."
fi
# Commits (newest first, within the range given) that add a table, column or index to the store.
migration_commits() {
  # shellcheck disable=SC2086
  git_ log --format=%H "$@" -- $store_files | while read -r commit; do
    # shellcheck disable=SC2086
    if git_ show --format= "$commit" -- $store_files | grep -qE '^\+.*(CREATE|ALTER) (TABLE|INDEX)'; then printf '%s\n' "$commit"; fi
  done
}
if [ -z "$from" ]; then
  newest=$(migration_commits HEAD | head -n 1)
  [ -n "$newest" ] || refuse "no commit in this checkout's history changes the store's schema ($store_files); give --from REF"
  from="$newest^"
fi
commit=$(git_ rev-parse --verify --quiet "$from^{commit}") ||
  refuse "--from $from is not a commit in this clone; fetch it (git fetch origin $from) or give another ref"
first_migration=$(migration_commits "$commit..HEAD" | tail -n 1)
[ -n "$first_migration" ] ||
  refuse "no store migration between $from ($commit) and HEAD: an upgrade from it proves nothing. Give an older --from, e.g. the commit before the newest migration: --from $(migration_commits HEAD | head -n 1)^"

# Whether this checkout's node_modules has every package of the old lockfile, at the same version.
reusable=$(git_ show "$commit:package-lock.json" | node -e '
  const current = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).packages ?? {};
  let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
    const old = JSON.parse(text).packages ?? {};
    const differ = Object.entries(old).filter(([path, entry]) => path.startsWith("node_modules/") && !entry.link && current[path]?.version !== entry.version);
    process.stdout.write(differ.length === 0 ? "yes" : `no: ${differ.length} differ, e.g. ${differ[0][0]} ${differ[0][1].version}`);
  });' "$root/package-lock.json")
cache=${UMCA_CACHE_DIR:-$HOME/.cache/umca}/upgrade-drill
home="$cache/$commit"
# A build that links into this checkout's node_modules holds only while those still match its lockfile.
if [ -f "$home/.umca-drill-built" ] && { [ "$(cat "$home/.umca-drill-built")" = installed ] || [ "$reusable" = yes ]; }; then
  printf 'commit %s\nhome %s\ndeps %s\nprepared-ms %s\n' "$commit" "$home" "$(cat "$home/.umca-drill-built")" "$(($(now_ms) - started))"
  exit 0
fi

# No stamp (an interrupted run), or links that no longer match: make the worktree again.
mkdir -p "$cache"
git_ worktree remove --force "$home" >/dev/null 2>&1 || rm -rf "$home"
git_ worktree prune
say "checking out $commit into $home"
git_ worktree add --detach --quiet "$home" "$commit"
log="$home/.umca-drill-prepare.log"

if [ "$reusable" = yes ] && [ -d "$root/node_modules" ]; then
  deps=reused
  say "its lockfile's packages are all in this checkout's node_modules: linking them"
  mkdir "$home/node_modules"
  for entry in "$root"/node_modules/* "$root"/node_modules/.[!.]*; do
    name=${entry##*/}
    case "$name" in
      # Its own workspaces, and this checkout's build caches and stamps, are not shared.
      @umca | .cache | .vite | .vite-temp | .umca-build-stamp | .package-lock.json | '.[!.]*') continue ;;
    esac
    ln -s "$entry" "$home/node_modules/$name"
  done
  mkdir "$home/node_modules/@umca"
  for workspace in $(node -e 'for (const w of require(process.argv[1]).workspaces) console.log(w)' "$home/package.json"); do
    name=$(node -e 'process.stdout.write(require(process.argv[1]).name)' "$home/$workspace/package.json")
    ln -s "../../$workspace" "$home/node_modules/$name"
  done
else
  deps=installed
  say "its dependencies differ from this checkout's ($reusable): npm ci in the worktree (minutes, once)"
  (cd "$home" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1 || {
    tail -n 20 "$log" >&2
    say "npm ci failed in $home (its output's end is above)"
    exit 1
  }
fi

say "building $commit (TypeScript, the sandbox addon, the web page)"
(cd "$home" && npx tsc -b && npm run --silent build --workspace @umca/runner && npm run --silent build --workspace @umca/ui) >>"$log" 2>&1 || {
  tail -n 20 "$log" >&2
  say "the build of $commit failed in $home (its output's end is above)"
  exit 1
}
printf '%s\n' "$deps" >"$home/.umca-drill-built"
printf 'commit %s\nhome %s\ndeps %s\nprepared-ms %s\n' "$commit" "$home" "$deps" "$(($(now_ms) - started))"

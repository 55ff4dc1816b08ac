#!/bin/sh
# The key-rotation drill (docs/runbooks/rotate-keys.md): rotates the keys that sign UMCA's tokens
# while a UMCA of its own keeps serving a client that never stops calling it, and checks what the
# runbook promises: no request fails from the rotation until the old key is retired, a token
# signed by the new key works without a restart (and how long until it did), and once the old key
# is retired its tokens get a clear 401 while the new ones still work.
#   local:    UMCA's own keys (`umca token rotate`, then `umca token retire`), always.
#   keycloak: with --keycloak-url, the realm's RS256 signing key through Keycloak's admin REST API
#             (a new rsa-generated provider above the others; the old one passive, then disabled),
#             while `umca serve --oidc-issuer` trusts that realm. This changes the realm's keys for
#             real: run it against a realm whose tokens may be re-issued.
# It prints `ok:`/`FAILED:` lines on stderr and one JSON result on stdout; with --evidence DIR it
# writes that JSON to DIR/rotate-keys-<UTC time>.json. Exit 0 when every promise held, 1 when one
# did not, 2 for bad usage.
#
#   ops/runbooks/rotate-keys-drill.sh [--only local|keycloak] [--overlap-seconds N]
#       [--keycloak-url URL --realm NAME [--client-id ID] [--admin-user NAME] [--admin-realm NAME]
#        [--audience AUD] [--removal-timeout-seconds N]] [--evidence DIR]
#
# Secrets come from the environment only (never a flag, which `ps` shows): KEYCLOAK_ADMIN_PASSWORD
# (with KEYCLOAK_ADMIN_USER, default admin, a user of --admin-realm, default master, who may manage
# the realm's keys) and KEYCLOAK_CLIENT_SECRET (for --client-id, default umca-ci: a confidential
# client whose service account has a role UMCA's policy knows). UMCA_CLI: how to start UMCA
# (default ./umca). Needs curl and node.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/ops/runbooks"
drill=rotate-keys
# shellcheck source=lib/drill.sh
. "$here/lib/drill.sh"
only=""
overlap=3
keycloak_url=${KEYCLOAK_URL:-}
realm=${KEYCLOAK_REALM:-}
client_id=${KEYCLOAK_CLIENT_ID:-umca-ci}
admin_user=${KEYCLOAK_ADMIN_USER:-admin}
admin_realm=${KEYCLOAK_ADMIN_REALM:-master}
audience=umca
removal_timeout=150
evidence=""
usage() {
  usage_error "$1; usage: $0 [--only local|keycloak] [--overlap-seconds N] [--keycloak-url URL --realm NAME [--client-id ID] [--admin-user NAME] [--admin-realm NAME] [--audience AUD] [--removal-timeout-seconds N]] [--evidence DIR]"
}
value() { [ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --only) value "$@"; only=$2; shift 2 ;;
    --overlap-seconds) value "$@"; overlap=$2; shift 2 ;;
    --keycloak-url) value "$@"; keycloak_url=$2; shift 2 ;;
    --realm) value "$@"; realm=$2; shift 2 ;;
    --client-id) value "$@"; client_id=$2; shift 2 ;;
    --admin-user) value "$@"; admin_user=$2; shift 2 ;;
    --admin-realm) value "$@"; admin_realm=$2; shift 2 ;;
    --audience) value "$@"; audience=$2; shift 2 ;;
    --removal-timeout-seconds) value "$@"; removal_timeout=$2; shift 2 ;;
    --evidence) value "$@"; evidence=$2; shift 2 ;;
    *) usage "unknown argument '$1'" ;;
  esac
done
case "$only" in '' | local | keycloak) ;; *) usage "--only takes local or keycloak, not '$only'" ;; esac
whole_number --overlap-seconds "$overlap"
whole_number --removal-timeout-seconds "$removal_timeout"
run_local=true
run_keycloak=false
[ -n "$keycloak_url" ] && run_keycloak=true
[ "$only" = keycloak ] && run_local=false
[ "$only" = local ] && run_keycloak=false
if [ "$only" = keycloak ] && [ -z "$keycloak_url" ]; then usage "--only keycloak needs --keycloak-url (or KEYCLOAK_URL)"; fi
if [ "$run_keycloak" = true ]; then
  case "$keycloak_url" in http://* | https://*) ;; *) usage "--keycloak-url must be an http(s) URL like http://127.0.0.1:8080, not '$keycloak_url'" ;; esac
  [ -n "$realm" ] || usage "--keycloak-url needs --realm NAME (the realm whose keys rotate)"
  [ -n "${KEYCLOAK_ADMIN_PASSWORD:-}" ] || usage "set KEYCLOAK_ADMIN_PASSWORD to the password of $admin_user in realm $admin_realm (--admin-user, --admin-realm)"
  [ -n "${KEYCLOAK_CLIENT_SECRET:-}" ] || usage "set KEYCLOAK_CLIENT_SECRET to the secret of client $client_id (--client-id), whose tokens the drill sends"
  export KEYCLOAK_URL="${keycloak_url%/}" KEYCLOAK_REALM="$realm" KEYCLOAK_CLIENT_ID="$client_id" KEYCLOAK_ADMIN_USER="$admin_user" KEYCLOAK_ADMIN_REALM="$admin_realm"
fi

loop_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
stop_loop() {
  if [ -n "$loop_pid" ]; then
    kill "$loop_pid" 2>/dev/null || true
    wait "$loop_pid" 2>/dev/null || true
  fi
  loop_pid=""
}
# The client loop goes with the scratch folder and the server (lib/drill.sh's trap calls cleanup).
cleanup() {
  stop_loop
  stop_server
  rm -rf "$work"
}
fail() { say "FAILED: $*"; ok=false; }

# The HTTP status of an authenticated read with the token in file $1; the body goes to $work/answer.
status_with() {
  curl -s -o "$work/answer" -w '%{http_code}' -H "authorization: Bearer $(cat "$1")" "$url/v1/runs?limit=1"
}
# Hands the client loop a token under label $1 (written whole, then renamed into its folder).
give_loop() { cp "$2" "$work/loop-token.part" && mv "$work/loop-token.part" "$tokens/$1"; }
start_loop() {
  tokens="$work/$1-tokens"
  log="$work/$1.log"
  mkdir -p "$tokens"
  : >"$log"
  node "$here/keep-requesting.mjs" "$url/v1/runs?limit=1" "$tokens" "$log" &
  loop_pid=$!
}
# Waits (at most $3 s) until the loop logged status $2 for label $1 after time $4; prints that time, or nothing.
first_in_log() {
  deadline=$(($(now_ms) + $3 * 1000))
  while :; do
    at=$(awk -v label="$1" -v status="$2" -v after="$4" '$2 == label && $3 == status && $1 >= after { print $1; exit }' "$log")
    [ -n "$at" ] && { printf '%s\n' "$at"; return; }
    [ "$(now_ms)" -ge "$deadline" ] && return
    sleep 0.1
  done
}
# Requests and failures (status not 200) in the loop's log: label $1 (or "*"), from time $2 to before $3.
count_log() {
  awk -v label="$1" -v from="$2" -v to="$3" '($2 == label || label == "*") && $1 >= from && $1 < to { n++; if ($3 != 200) f++ } END { printf "%d %d\n", n, f }' "$log"
}
# Milliseconds from $2 to $1 (0 if $1 came first: refused before the command had exited), or null without $1.
since() { if [ -z "$1" ]; then echo null; elif [ "$1" -gt "$2" ]; then echo $(($1 - $2)); else echo 0; fi; }
# The problem code of the last answer in $work/answer.
answer_code() { json 'v.code' <"$work/answer" 2>/dev/null || printf 'none'; }

local_result=null
if [ "$run_local" = true ]; then
  say "local: UMCA's own keys"
  data="$work/local-data"
  $umca token create --role developer --sub drill-before --ttl 2h --data-dir "$data" >"$work/old.token" 2>>"$work/cli.err"
  start_server "$data"
  run_status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/v1/executions" -H "authorization: Bearer $(cat "$work/old.token")" \
    -H 'content-type: application/json' -d '{"language":"python","code":"print(6*7)"}')
  check "$run_status" 200 "local: a run made with the first key's token"
  start_loop local
  loop_started=$(now_ms)
  give_loop old "$work/old.token"
  [ -n "$(first_in_log old 200 30 "$loop_started")" ] || fail "local: the client loop got no 200 in 30 s with the first token"

  rotated_at=$(now_ms)
  $umca token rotate --data-dir "$data" 2>>"$work/cli.err"
  $umca token create --role developer --sub drill-after --ttl 2h --data-dir "$data" >"$work/new.token" 2>>"$work/cli.err"
  issued_at=$(now_ms)
  give_loop new "$work/new.token"
  honoured_at=$(first_in_log new 200 30 "$rotated_at")
  if [ -n "$honoured_at" ]; then say "ok: local: the new key's token was accepted $((honoured_at - issued_at)) ms after it was issued, no restart"; else fail "local: the new key's token was not accepted within 30 s"; fi
  sleep "$overlap"
  check "$(status_with "$work/old.token")" 200 "local: the old key's token still works after the rotation"
  check "$(status_with "$work/new.token")" 200 "local: the new key's token works"

  retired_at=$(now_ms)
  if ! $umca token retire --data-dir "$data" 2>>"$work/cli.err"; then
    fail "local: umca token retire failed: $(tail -n 2 "$work/cli.err")"
  fi
  retire_done=$(now_ms)
  refused_at=$(first_in_log old 401 30 "$retired_at")
  [ -n "$refused_at" ] || fail "local: the retired key's token was still accepted 30 s after umca token retire"
  sleep 1
  stop_loop
  old_status=$(status_with "$work/old.token")
  old_code=$(answer_code)
  check "$old_status $old_code" "401 unknown_key" "local: the retired key's token is refused with 401 unknown_key"
  check "$(status_with "$work/new.token")" 200 "local: the new key's token still works after the retirement"
  set -- $(count_log '*' "$loop_started" "$retired_at")
  window_requests=$1 window_failed=$2
  check "$window_failed" 0 "local: no request failed from the rotation to the retirement ($window_requests made)"
  set -- $(count_log new "$retired_at" 99999999999999)
  check "$2" 0 "local: no request with the new key's token failed after the retirement ($1 made)"
  stop_server
  local_result=$(printf '{"requests":%s,"failed":%s,"rotationMs":%s,"newKeyHonouredMs":%s,"oldKeyRefusedAfterMs":%s}' \
    "$window_requests" "$window_failed" "$((issued_at - rotated_at))" "$([ -n "$honoured_at" ] && echo $((honoured_at - issued_at)) || echo null)" \
    "$(since "$refused_at" "$retire_done")")
fi

keycloak_result=null
if [ "$run_keycloak" = true ]; then
  say "keycloak: realm $realm at $KEYCLOAK_URL"
  kk() { node "$here/keycloak-keys.mjs" "$@"; }
  kk keys >"$work/keys-before.json"
  old_providers=$(json "v.filter(k=>k.status==='ACTIVE').map(k=>k.providerId).join(' ')" <"$work/keys-before.json")
  [ -n "$old_providers" ] || { say "the realm $realm has no active RS256 signing key to rotate"; exit 1; }
  kk token >"$work/old.json"
  json 'v.token' <"$work/old.json" >"$work/old.token"
  old_kid=$(json 'v.kid' <"$work/old.json")
  start_server "$work/keycloak-data" --oidc-issuer "$KEYCLOAK_URL/realms/$realm" --oidc-audience "$audience"
  run_status=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/v1/executions" -H "authorization: Bearer $(cat "$work/old.token")" \
    -H 'content-type: application/json' -d '{"language":"python","code":"print(6*7)"}')
  check "$run_status" 200 "keycloak: a run made with a token signed by $old_kid"
  start_loop keycloak
  loop_started=$(now_ms)
  give_loop old "$work/old.token"
  [ -n "$(first_in_log old 200 30 "$loop_started")" ] || fail "keycloak: the client loop got no 200 in 30 s with the first token"

  rotated_at=$(now_ms)
  kk add >"$work/added.json"
  new_provider=$(json 'v.providerId' <"$work/added.json")
  new_kid=$(json 'v.kid' <"$work/added.json")
  kk token >"$work/new.json"
  json 'v.token' <"$work/new.json" >"$work/new.token"
  issued_at=$(now_ms)
  check "$(json 'v.kid' <"$work/new.json")" "$new_kid" "keycloak: new tokens are signed by the new key"
  give_loop new "$work/new.token"
  honoured_at=$(first_in_log new 200 30 "$rotated_at")
  if [ -n "$honoured_at" ]; then say "ok: keycloak: the new key's token was accepted $((honoured_at - issued_at)) ms after it was issued, no restart"; else fail "keycloak: the new key's token was not accepted within 30 s"; fi
  for provider in $old_providers; do kk passive "$provider" >/dev/null; done
  sleep "$overlap"
  check "$(status_with "$work/old.token")" 200 "keycloak: the old key's token still works while the old key is passive"
  check "$(status_with "$work/new.token")" 200 "keycloak: the new key's token works"

  removed_at=$(now_ms)
  for provider in $old_providers; do kk disable "$provider" >/dev/null; done
  retire_done=$(now_ms)
  curl -sf "$KEYCLOAK_URL/realms/$realm/protocol/openid-connect/certs" | grep -q "\"$old_kid\"" &&
    fail "keycloak: the disabled key $old_kid is still in the realm's JWKS"
  refused_at=$(first_in_log old 401 "$removal_timeout" "$removed_at")
  [ -n "$refused_at" ] || fail "keycloak: a token signed by the removed key $old_kid was still accepted $removal_timeout s after its removal from the JWKS"
  stop_loop
  old_status=$(status_with "$work/old.token")
  old_code=$(answer_code)
  check "$old_status $old_code" "401 unknown_key" "keycloak: the removed key's token is refused with 401 unknown_key (not token_expired)"
  check "$(status_with "$work/new.token")" 200 "keycloak: the new key's token still works after the removal"
  set -- $(count_log '*' "$loop_started" "$removed_at")
  window_requests=$1 window_failed=$2
  check "$window_failed" 0 "keycloak: no request failed from the rotation to the removal ($window_requests made)"
  set -- $(count_log new "$removed_at" 99999999999999)
  check "$2" 0 "keycloak: no request with the new key's token failed after the removal ($1 made)"
  stop_server
  keycloak_result=$(printf '{"oldKid":"%s","newKid":"%s","newProviderId":"%s","requests":%s,"failed":%s,"rotationMs":%s,"newKeyHonouredMs":%s,"oldKeyRefusedAfterMs":%s}' \
    "$old_kid" "$new_kid" "$new_provider" "$window_requests" "$window_failed" "$((issued_at - rotated_at))" \
    "$([ -n "$honoured_at" ] && echo $((honoured_at - issued_at)) || echo null)" \
    "$(since "$refused_at" "$retire_done")")
fi

finish "$(printf '"local":%s,"keycloak":%s' "$local_result" "$keycloak_result")"

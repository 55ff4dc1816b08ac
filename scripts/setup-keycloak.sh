#!/bin/sh
# Keycloak for the OpenID Connect tests and for trying UMCA's realm (ops/keycloak) by hand:
# keycloak-quarkus-dist from Maven Central, fetched with mvn, unpacked into UMCA's cache and built
# once for start-dev. Idempotent: once set up, a run finds the stamp and does nothing.
#   sh scripts/setup-keycloak.sh                    set up (silent when there is nothing to do)
#   sh scripts/setup-keycloak.sh --print-home       print the Keycloak home (fails if not set up)
#   sh scripts/setup-keycloak.sh --print-java-home  print the JDK (21 or newer) to run it with
# Environment: UMCA_CACHE_DIR (default $XDG_CACHE_HOME/umca, else ~/.cache/umca);
# UMCA_KEYCLOAK_JAVA_HOME, a JDK 21 or newer (default: the newest JDK under /usr/lib/jvm).
#
# Why the build step. Measured on 2 cores with Temurin 25, until the discovery document answers:
# the distribution ships unbuilt, so a first `kc.sh start-dev` augments (33 s) before it starts,
# 65 s in all; start-dev keeps that build in lib/quarkus, and later starts take 25-29 s (31 s
# with UMCA's realm imported). `kc.sh build` is no shortcut: it builds for production
# (kc.profile=prod; 38 s), which start-dev rebuilds for the dev profile; `start-dev --optimized`
# is refused ("Unknown option") and `build` refuses the dev profile. So this script runs
# start-dev once and stops it after its automatic build (about 40 s, once).
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca keycloak setup: %s\n' "$*" >&2; }

KEYCLOAK_VERSION=26.7.3
cache=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}
home="$cache/keycloak/$KEYCLOAK_VERSION"
stamp="$home/.umca-setup-done"

# The major version a JDK's `bin/java -version` reports: 'openjdk version "25.0.3" ...' gives 25,
# and Java 8's "1.8.0_402" gives 1, which is too old all the same.
java_major() {
  "$1/bin/java" -version 2>&1 | sed -n '1s/^[^"]*"\([0-9]*\).*/\1/p'
}

find_java_home() {
  if [ -n "${UMCA_KEYCLOAK_JAVA_HOME:-}" ]; then
    major=$(java_major "$UMCA_KEYCLOAK_JAVA_HOME" || true)
    if [ "${major:-0}" -lt 21 ]; then
      say "UMCA_KEYCLOAK_JAVA_HOME=$UMCA_KEYCLOAK_JAVA_HOME is not a JDK 21 or newer (its bin/java -version gives '${major:-no version}'): point it at one"
      exit 1
    fi
    printf '%s\n' "$UMCA_KEYCLOAK_JAVA_HOME"
    return
  fi
  best=
  best_major=0
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/java" ] || continue
    major=$(java_major "$candidate" || true)
    if [ "${major:-0}" -gt "$best_major" ]; then
      best=$candidate
      best_major=$major
    fi
  done
  if [ "$best_major" -lt 21 ]; then
    say "Keycloak $KEYCLOAK_VERSION needs a JDK 21 or newer and /usr/lib/jvm has none (newest: ${best:-none})." \
      "Install one: 'apt-get install -y openjdk-21-jdk-headless' on Debian 13 or Ubuntu 24.04;" \
      "on Debian 12, Eclipse Temurin 21 or 25 (package temurin-21-jdk from Adoptium's apt repository)." \
      "Or set UMCA_KEYCLOAK_JAVA_HOME to a JDK 21 or newer."
    exit 1
  fi
  printf '%s\n' "$best"
}

if [ $# -gt 0 ]; then
  for option in "$@"; do
    case $option in
      --print-home)
        if [ ! -f "$stamp" ]; then
          say "Keycloak $KEYCLOAK_VERSION is not set up in $home: run 'sh scripts/setup-keycloak.sh' (or 'sh scripts/setup-test-tools.sh')"
          exit 1
        fi
        printf '%s\n' "$home"
        ;;
      --print-java-home) find_java_home ;;
      *)
        say "unknown option '$option': use --print-home or --print-java-home, or no option to set up"
        exit 2
        ;;
    esac
  done
  exit 0
fi

[ -f "$stamp" ] && exit 0

java_home=$(find_java_home)
command -v mvn >/dev/null 2>&1 || { say "mvn (Apache Maven) is required to download Keycloak: apt-get install -y maven"; exit 1; }

# A home left half made by an interrupted run has no stamp: start it again from the archive.
rm -rf "$home"
mkdir -p "$cache/keycloak"
work=$(mktemp -d "$cache/keycloak/.setup-XXXXXX")
trap 'rm -rf "$work"' EXIT

say "downloading keycloak-quarkus-dist $KEYCLOAK_VERSION with mvn"
if ! mvn -B -q dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
  "-DoutputDirectory=$work" >"$work/mvn.log" 2>&1; then
  tail -n 20 "$work/mvn.log" >&2
  say "mvn could not download org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz (its output is above)"
  exit 1
fi
tar --no-same-owner -xzf "$work/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz" -C "$work"
mv "$work/keycloak-$KEYCLOAK_VERSION" "$home"

# kc.sh starts Java once to check the build; after an automatic build that Java exits with 10 and
# kc.sh starts it again with -Dkc.config.built=true to run the server. This stand-in for java
# stops there, so start-dev only builds.
say "building Keycloak for start-dev (about 40 s)"
cat >"$work/java-until-built" <<EOF
#!/bin/sh
[ "\$1" = -Dkc.config.built=true ] && exit 0
exec "$java_home/bin/java" "\$@"
EOF
chmod +x "$work/java-until-built"
touch "$work/before-build"
if ! JAVA="$work/java-until-built" "$home/bin/kc.sh" start-dev </dev/null >"$work/build.log" 2>&1 \
  || [ ! "$home/lib/quarkus/quarkus-application.dat" -nt "$work/before-build" ]; then
  tail -n 20 "$work/build.log" >&2
  say "Keycloak's build for start-dev failed (its output is above)"
  exit 1
fi
# The build's first run leaves a database and logs behind; each start brings its own.
rm -rf "$home/data"
printf 'keycloak-quarkus-dist %s, built for start-dev with %s\n' "$KEYCLOAK_VERSION" "$java_home" >"$stamp"

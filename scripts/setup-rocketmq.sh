#!/bin/sh
# Apache RocketMQ 5 for the message-queue tests and for trying UMCA against a real broker by hand:
# the jars of rocketmq-namesrv, rocketmq-proxy (which brings rocketmq-broker) and rocketmq-tools
# from Maven Central, fetched with mvn into UMCA's cache, with the configuration a RocketMQ home
# needs. Idempotent: once set up, a run finds the stamp and does nothing.
#   sh scripts/setup-rocketmq.sh                    set up (silent when there is nothing to do)
#   sh scripts/setup-rocketmq.sh --print-home       print the RocketMQ home (fails if not set up)
#   sh scripts/setup-rocketmq.sh --print-java-home  print the JDK (17 or newer) to run it with
#   sh scripts/setup-rocketmq.sh --print-java-options  print the JVM options every RocketMQ JVM needs
# Environment: UMCA_CACHE_DIR (default $XDG_CACHE_HOME/umca, else ~/.cache/umca);
# UMCA_ROCKETMQ_JAVA_HOME, a JDK 17 or newer (default: the `java` on PATH when it is 17 or newer,
# else the newest JDK under /usr/lib/jvm).
#
# Why jars and not the binary zip: the zip is not on Maven Central, and these jars are all that
# its bin/ scripts put on the class path (the logback configurations are inside the jars). The
# home gets three small launchers instead of those scripts, for a person's own use:
#   <home>/bin/mqnamesrv   name server on 127.0.0.1:9876
#   <home>/bin/mqproxy     broker and proxy in one process ("local" mode): broker 10911 (also
#                          10909 and 10912), proxy gRPC 8081 (the Node client's endpoint),
#                          proxy remoting 8080
#   <home>/bin/mqadmin     the admin tool, e.g. `mqadmin updateTopic -n 127.0.0.1:9876
#                          -c DefaultCluster -t orders -a +message.type=FIFO`
# They keep messages and logs in <home>/data; each test instance (test/support/rocketmq.ts) has
# its own ports, configuration and folder instead.
set -eu
cd "$(dirname "$0")/.."
say() { printf 'umca rocketmq setup: %s\n' "$*" >&2; }

# The newest 5.x whose namesrv, proxy and tools all resolve (5.5.1 has only rocketmq-tiered-store
# there). Since 5.5.0 the proxy refuses a consumer whose group was never created ("group not
# found"), whatever autoCreateSubscriptionGroup says: create groups with mqadmin updateSubGroup.
ROCKETMQ_VERSION=5.5.0
cache=${UMCA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umca}
home="$cache/rocketmq/$ROCKETMQ_VERSION"
stamp="$home/.umca-setup-done"

# The JVM options every RocketMQ JVM here runs with (test/support/rocketmq.ts reads them too):
# - upstream's advice for JDK 9 and newer (apache/rocketmq#9887): the store reaches into
#   sun.nio.ch.DirectBuffer and java.nio internals for its memory-mapped files;
# - no TLS (clients connect in plain text on loopback): in its default "permissive" mode each
#   server makes a self-signed 2048-bit RSA certificate at start, and the proxy's gRPC server
#   makes one even when TLS is off. Measured on 2 cores: that key search made the broker+proxy
#   start take 7-17 s; with TLS off and a 1024-bit throwaway key, 3.6-5 s (name server 4.5 s to 1.1 s);
# - the serial collector and C1 only: 2 cores, small heaps, short-lived processes (about 110 MB
#   less resident memory than G1 for the broker+proxy).
JDK_OPTIONS='--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED -Dtls.server.mode=disabled -Dio.grpc.netty.shaded.io.netty.handler.ssl.util.selfSignedKeyStrength=1024 -XX:+UseSerialGC -XX:TieredStopAtLevel=1'

# The major version a JDK's `bin/java -version` reports: 'openjdk version "17.0.15" ...' gives 17,
# and Java 8's "1.8.0_402" gives 1, which is too old all the same.
java_major() {
  "$1/bin/java" -version 2>&1 | sed -n '1s/^[^"]*"\([0-9]*\).*/\1/p'
}

find_java_home() {
  if [ -n "${UMCA_ROCKETMQ_JAVA_HOME:-}" ]; then
    major=$(java_major "$UMCA_ROCKETMQ_JAVA_HOME" || true)
    if [ "${major:-0}" -lt 17 ]; then
      say "UMCA_ROCKETMQ_JAVA_HOME=$UMCA_ROCKETMQ_JAVA_HOME is not a JDK 17 or newer (its bin/java -version gives '${major:-no version}'): point it at one"
      exit 1
    fi
    printf '%s\n' "$UMCA_ROCKETMQ_JAVA_HOME"
    return
  fi
  # The JDK on PATH first: RocketMQ is tested here with the machine's default JDK 17.
  if on_path=$(command -v java 2>/dev/null); then
    candidate=$(dirname "$(dirname "$(readlink -f "$on_path")")")
    major=$(java_major "$candidate" || true)
    if [ "${major:-0}" -ge 17 ]; then
      printf '%s\n' "$candidate"
      return
    fi
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
  if [ "$best_major" -lt 17 ]; then
    say "RocketMQ $ROCKETMQ_VERSION is run here with a JDK 17 or newer and neither PATH nor /usr/lib/jvm has one (newest: ${best:-none})." \
      "Install one: 'apt-get install -y openjdk-17-jdk-headless'; or set UMCA_ROCKETMQ_JAVA_HOME to a JDK 17 or newer."
    exit 1
  fi
  printf '%s\n' "$best"
}

if [ $# -gt 0 ]; then
  for option in "$@"; do
    case $option in
      --print-home)
        if [ ! -f "$stamp" ]; then
          say "RocketMQ $ROCKETMQ_VERSION is not set up in $home: run 'sh scripts/setup-rocketmq.sh'"
          exit 1
        fi
        printf '%s\n' "$home"
        ;;
      --print-java-home) find_java_home ;;
      --print-java-options) printf '%s\n' "$JDK_OPTIONS" ;;
      *)
        say "unknown option '$option': use --print-home, --print-java-home or --print-java-options, or no option to set up"
        exit 2
        ;;
    esac
  done
  exit 0
fi

[ -f "$stamp" ] && exit 0

java_home=$(find_java_home)
command -v mvn >/dev/null 2>&1 || { say "mvn (Apache Maven) is required to download RocketMQ: apt-get install -y maven"; exit 1; }

# A home left half made by an interrupted run has no stamp: make it again.
rm -rf "$home"
mkdir -p "$cache/rocketmq"
work=$(mktemp -d "$cache/rocketmq/.setup-XXXXXX")
trap 'rm -rf "$work"' EXIT

# A project of nothing but these three dependencies, so that mvn resolves the same transitive
# versions as RocketMQ's own build and copies every jar into one folder.
cat >"$work/pom.xml" <<EOF
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>umca.setup</groupId>
  <artifactId>rocketmq-home</artifactId>
  <version>$ROCKETMQ_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-namesrv</artifactId><version>$ROCKETMQ_VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-proxy</artifactId><version>$ROCKETMQ_VERSION</version></dependency>
    <dependency><groupId>org.apache.rocketmq</groupId><artifactId>rocketmq-tools</artifactId><version>$ROCKETMQ_VERSION</version></dependency>
  </dependencies>
</project>
EOF

say "downloading RocketMQ $ROCKETMQ_VERSION (namesrv, proxy with broker, tools: about 100 MB of jars) with mvn"
made="$work/home"
if ! mvn -B -q -f "$work/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
  "-DoutputDirectory=$made/lib" >"$work/mvn.log" 2>&1; then
  tail -n 20 "$work/mvn.log" >&2
  say "mvn could not download org.apache.rocketmq:rocketmq-{namesrv,proxy,tools}:$ROCKETMQ_VERSION (its output is above)"
  exit 1
fi
for jar in rocketmq-namesrv rocketmq-proxy rocketmq-broker rocketmq-tools; do
  [ -f "$made/lib/$jar-$ROCKETMQ_VERSION.jar" ] || { say "mvn finished but $jar-$ROCKETMQ_VERSION.jar is not in $made/lib"; exit 1; }
done

mkdir -p "$made/conf" "$made/bin"
# Read by bin/mqproxy. A test instance writes its own, with its own ports and store.
# mappedFileSizeCommitLog: 64 MiB commit-log files instead of 1 GiB (sparse, but still mapped).
# autoCreateTopicEnable=false: as in production; gRPC clients cannot create topics anyway.
cat >"$made/conf/broker.conf" <<EOF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
listenPort=10911
namesrvAddr=127.0.0.1:9876
storePathRootDir=$home/data/store
storePathCommitLog=$home/data/store/commitlog
mappedFileSizeCommitLog=67108864
autoCreateTopicEnable=false
autoCreateSubscriptionGroup=false
EOF
cat >"$made/conf/rmq-proxy.json" <<EOF
{
  "rocketMQClusterName": "DefaultCluster",
  "namesrvAddr": "127.0.0.1:9876",
  "grpcServerPort": 8081,
  "remotingListenPort": 8080
}
EOF

# $1: the launcher's name, $2: its heap, $3: the main class and its fixed arguments.
write_launcher() {
  cat >"$made/bin/$1" <<EOF
#!/bin/sh
# Made by UMCA's scripts/setup-rocketmq.sh: RocketMQ $ROCKETMQ_VERSION from the jars in ../lib.
# Messages, logs (RocketMQ logs under user.home) and temporary files go to \$ROCKETMQ_HOME/data.
# Extra JVM options: ROCKETMQ_JAVA_OPTIONS.
ROCKETMQ_HOME=\$(cd "\$(dirname "\$0")/.." && pwd)
export ROCKETMQ_HOME
mkdir -p "\$ROCKETMQ_HOME/data/tmp"
exec "$java_home/bin/java" $2 $JDK_OPTIONS \${ROCKETMQ_JAVA_OPTIONS:-} "-Duser.home=\$ROCKETMQ_HOME/data" \\
  "-Djava.io.tmpdir=\$ROCKETMQ_HOME/data/tmp" "-Drocketmq.home.dir=\$ROCKETMQ_HOME" -cp "\$ROCKETMQ_HOME/lib/*" $3 "\$@"
EOF
  chmod +x "$made/bin/$1"
}
write_launcher mqnamesrv '-Xms128m -Xmx128m' 'org.apache.rocketmq.namesrv.NamesrvStartup'
write_launcher mqproxy '-Xms128m -Xmx512m' \
  'org.apache.rocketmq.proxy.ProxyStartup -pm local -bc "$ROCKETMQ_HOME/conf/broker.conf" -pc "$ROCKETMQ_HOME/conf/rmq-proxy.json"'
write_launcher mqadmin '-Xmx128m' 'org.apache.rocketmq.tools.command.MQAdminStartup'

mv "$made" "$home"
printf 'rocketmq %s (namesrv, proxy with broker, tools) for %s\n' "$ROCKETMQ_VERSION" "$java_home" >"$stamp"

/**
 * @module rocketmq
 * A real Apache RocketMQ 5 for the message-queue tests: `startRocketMq()` runs a name server and,
 * in a second JVM, a broker with its gRPC proxy ("local" proxy mode), on free ports, with store,
 * logs and configuration in a folder of their own that `close()` removes. Topics and consumer
 * groups are made with RocketMQ's admin tool; the broker can be stopped and started again on the
 * same ports and store. RocketMQ comes from scripts/setup-rocketmq.sh.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const SETUP_SCRIPT = join(ROOT, 'scripts/setup-rocketmq.sh');
const CLUSTER = 'DefaultCluster';

/** Measured on 2 cores: the name server holds about 100 MB resident, the broker+proxy about 300 MB. */
const NAMESRV_HEAP = ['-Xms64m', '-Xmx128m'];
const BROKER_HEAP = ['-Xms128m', '-Xmx512m'];
const ADMIN_HEAP = ['-Xmx128m'];
/** Readiness polls, 250 ms apart: 240 allow a minute on a busy machine (the broker+proxy takes 4-6 s). */
const READY_POLLS = 240;
const POLL_INTERVAL_MS = 250;
/** Only a guard against a poll that hangs: no start is expected to come near it. */
const READY_HANG_GUARD_MS = 5 * 60_000;
/** A graceful broker stop took 13 s (its service threads each wait out a poll interval). */
const STOP_GRACE_MS = 30_000;
/** A pause in `close()` that lets clients shut down just before finish with the proxy (see there). */
const CLIENT_DRAIN_MS = 1_000;
/** An admin command answers in about 1.5 s; this only bounds one that hangs. */
const ADMIN_TIMEOUT_MS = 60_000;
/**
 * Runs one RocketMQ JVM and kills it when the test process is gone without calling `close()` (a
 * worker killed by a signal runs no exit hook), then removes the folder if given one (only the
 * name server's watchdog is, a little after, so the broker is gone first): nothing outlives its
 * tests. A SIGTERM to the group waits for Java, so `stopBroker()` sees the real end.
 * Arguments: the test process's pid, the folder to remove or '', then java and its arguments.
 */
const WATCHDOG = `
parent=$1 folder=$2
shift 2
"$@" &
java=$!
trap 'kill -TERM "$java" 2>/dev/null; wait "$java"; exit 143' TERM
while kill -0 "$parent" 2>/dev/null; do
  kill -0 "$java" 2>/dev/null || { wait "$java"; exit $?; }
  sleep 1
done
kill -KILL "$java" 2>/dev/null
wait "$java"
if [ -n "$folder" ]; then sleep 2; rm -rf "$folder"; fi
`;

export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';
export type ConsumerGroupType = 'NORMAL' | 'FIFO';

export interface StartRocketMqOptions {
  /** Settings added to (or replacing) the broker.conf this helper writes, e.g. `{ maxMessageSize: 65536 }`. */
  brokerConfig?: Record<string, string | number | boolean>;
  /**
   * Settings added to the proxy's rmq-proxy.json, e.g. `{ minInvisibleTimeMillsForRecv: 1000 }`
   * (RocketMQ refuses a receive whose invisible duration is under 10 s by default).
   */
  proxyConfig?: Record<string, string | number | boolean>;
}

/** A RocketMQ started by `startRocketMq`: a name server and one broker with its proxy, cluster `DefaultCluster`. */
export interface RunningRocketMq {
  /** `127.0.0.1:PORT`, the proxy's gRPC port: the `endpoints` of rocketmq-client-nodejs. */
  readonly endpoints: string;
  /** `127.0.0.1:PORT`, the name server, for the admin tool or the RocketMQ Dashboard. */
  readonly namesrvAddr: string;
  /** Creates (or updates) a topic of this message type (8 queues). gRPC clients cannot create topics. */
  createTopic(name: string, type?: TopicType): Promise<void>;
  /**
   * Creates (or updates) a consumer group. The proxy refuses a consumer whose group does not exist
   * ("group not found"); a FIFO group (consumeMessageOrderly) is what makes a FIFO topic's
   * messages of one message group arrive in order, one at a time.
   */
  createConsumerGroup(name: string, type?: ConsumerGroupType): Promise<void>;
  /**
   * Stops the broker and its proxy; the name server stays. Gracefully by default (consume offsets
   * and the store are flushed; 13-20 s); `{ kill: true }` kills it at once, as a crash would.
   * Resolves once its ports are closed and the name server has dropped it.
   */
  stopBroker(options?: { kill?: boolean }): Promise<void>;
  /** Starts the broker and proxy again on the same ports and store, and waits until it is registered and listening. */
  startBroker(): Promise<void>;
  /** Kills everything and removes the folder. */
  close(): Promise<void>;
}

interface JavaProcess {
  readonly pid: number;
  readonly exited: Promise<void>;
  exitCode(): number | string | null | undefined;
}

/**
 * Starts a name server and a broker with its proxy, and waits until the broker is registered with
 * the name server and the proxy accepts gRPC connections.
 *
 * @example
 * const rocketmq = await startRocketMq();
 * await rocketmq.createTopic('runs', 'FIFO');
 * await rocketmq.createConsumerGroup('orchestrator', 'FIFO');
 * const producer = new Producer({ endpoints: rocketmq.endpoints, namespace: '' });
 * await rocketmq.close();
 */
export async function startRocketMq(options: StartRocketMqOptions = {}): Promise<RunningRocketMq> {
  const { home, javaHome, javaOptions } = await findRocketMq();
  const ports = await findFreePorts();
  const namesrvAddr = `127.0.0.1:${ports.namesrv}`;
  const brokerAddr = `127.0.0.1:${ports.broker}`;
  const endpoints = `127.0.0.1:${ports.grpc}`;

  const folder = mkdtempSync(join(tmpdir(), 'umca-rocketmq-'));
  mkdirSync(join(folder, 'tmp'));
  const namesrvConf = join(folder, 'namesrv.conf');
  const brokerConf = join(folder, 'broker.conf');
  const proxyConf = join(folder, 'rmq-proxy.json');
  writeFileSync(namesrvConf, `listenPort=${ports.namesrv}\n`);
  writeFileSync(
    brokerConf,
    toProperties({
      brokerClusterName: CLUSTER,
      brokerName: 'broker-a',
      brokerId: 0,
      brokerRole: 'ASYNC_MASTER',
      flushDiskType: 'ASYNC_FLUSH',
      brokerIP1: '127.0.0.1',
      // The broker also listens on listenPort - 2 (its "fast" port) and listenPort + 1 (HA).
      listenPort: ports.broker,
      namesrvAddr,
      storePathRootDir: join(folder, 'store'),
      storePathCommitLog: join(folder, 'store/commitlog'),
      // 64 MiB commit-log files instead of 1 GiB (sparse, but mapped).
      mappedFileSizeCommitLog: 64 * 1024 * 1024,
      autoCreateTopicEnable: false,
      autoCreateSubscriptionGroup: false,
      ...options.brokerConfig,
    }),
  );
  writeFileSync(
    proxyConf,
    `${JSON.stringify(
      {
        rocketMQClusterName: CLUSTER,
        namesrvAddr,
        grpcServerPort: ports.grpc,
        remotingListenPort: ports.remoting,
        // A graceful stop waits this long for open calls, and consumers always have one open (a
        // long poll): RocketMQ's 30 s made every stopBroker() with a live consumer take 30 s.
        grpcShutdownTimeSeconds: 3,
        ...options.proxyConfig,
      },
      null,
      2,
    )}\n`,
  );

  // user.home is where RocketMQ writes its logs (logs/rocketmqlogs) and its clients their state;
  // java.io.tmpdir takes the native libraries and certificates it unpacks at each start.
  const javaArguments = (heap: string[], mainClass: string, args: string[]) => [
    join(javaHome, 'bin/java'),
    ...heap,
    ...javaOptions,
    `-Duser.home=${folder}`,
    `-Djava.io.tmpdir=${join(folder, 'tmp')}`,
    `-Drocketmq.home.dir=${home}`,
    '-cp',
    join(home, 'lib/*'),
    mainClass,
    ...args,
  ];
  const environment = { PATH: process.env.PATH, HOME: folder };

  let namesrv: JavaProcess | undefined;
  let broker: JavaProcess | undefined;
  let closed = false;
  const killOnExit = () => {
    if (broker) signalGroup(broker.pid, 'SIGKILL');
    if (namesrv) signalGroup(namesrv.pid, 'SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', killOnExit);
    // rocketmq-client-nodejs 1.0.8 half-closes its telemetry streams on shutdown and drops their
    // listeners; the proxy ends them within half a second, but a kill before then resets them and
    // the unhandled 'error' event crashes the test process. Clients shut down just before are common.
    await delay(CLIENT_DRAIN_MS);
    // Nothing is kept, so nothing needs a graceful stop.
    for (const running of [broker, namesrv]) {
      if (running && running.exitCode() === undefined) signalGroup(running.pid, 'SIGKILL');
    }
    await held(Promise.all([broker?.exited, namesrv?.exited]));
    rmSync(folder, { recursive: true, force: true });
  };

  const startBroker = async () => {
    if (closed) throw new Error('this RocketMQ is closed: start another with startRocketMq()');
    if (broker && broker.exitCode() === undefined) return;
    const started = spawnWatched(
      folder,
      '',
      join(folder, 'broker.out'),
      javaArguments(BROKER_HEAP, 'org.apache.rocketmq.proxy.ProxyStartup', ['-pm', 'local', '-bc', brokerConf, '-pc', proxyConf]),
      environment,
    );
    broker = started;
    await waitUntil(
      async () => (await canConnect(ports.grpc)) && (await readClusterInfo(ports.namesrv)).includes(`"${brokerAddr}"`),
      started.exitCode,
      `the broker to register ${brokerAddr} with the name server and its proxy to listen on ${endpoints}`,
      join(folder, 'broker.out'),
    );
  };

  try {
    namesrv = spawnWatched(
      folder,
      folder,
      join(folder, 'namesrv.out'),
      javaArguments(NAMESRV_HEAP, 'org.apache.rocketmq.namesrv.NamesrvStartup', ['-c', namesrvConf]),
      environment,
    );
    const startedNamesrv = namesrv;
    await waitUntil(
      () => canConnect(ports.namesrv),
      startedNamesrv.exitCode,
      `the name server to listen on ${namesrvAddr}`,
      join(folder, 'namesrv.out'),
    );
    await startBroker();
  } catch (error) {
    await close();
    throw error;
  }

  const admin = (args: string[]) =>
    runAdmin(javaArguments(ADMIN_HEAP, 'org.apache.rocketmq.tools.command.MQAdminStartup', args), args, environment);

  return {
    endpoints,
    namesrvAddr,
    close,
    startBroker,

    async createTopic(name, type = 'NORMAL') {
      await admin(['updateTopic', '-n', namesrvAddr, '-c', CLUSTER, '-t', name, '-a', `+message.type=${type}`]);
    },

    async createConsumerGroup(name, type = 'NORMAL') {
      await admin(['updateSubGroup', '-n', namesrvAddr, '-c', CLUSTER, '-g', name, ...(type === 'FIFO' ? ['-o', 'true'] : [])]);
    },

    async stopBroker({ kill = false } = {}) {
      const running = broker;
      if (!running || running.exitCode() !== undefined) return;
      signalGroup(running.pid, kill ? 'SIGKILL' : 'SIGTERM');
      const stopped = await Promise.race([running.exited.then(() => true), delay(STOP_GRACE_MS, false)]);
      if (!stopped) {
        signalGroup(running.pid, 'SIGKILL');
        await running.exited;
      }
      // The watchdog is gone at once on a kill, but Java may still be dying with its ports open
      // and the name server learns of it a moment later: a start before then would look ready.
      await waitUntil(
        async () =>
          !(await canConnect(ports.grpc)) &&
          !(await canConnect(ports.broker)) &&
          !(await readClusterInfo(ports.namesrv)).includes(`"${brokerAddr}"`),
        () => undefined,
        `the broker to be gone from ${brokerAddr} and from the name server`,
        join(folder, 'broker.out'),
      );
    },
  };
}

/** The RocketMQ home, JDK and JVM options that scripts/setup-rocketmq.sh set up, or an error saying to run it. */
async function findRocketMq(): Promise<{ home: string; javaHome: string; javaOptions: string[] }> {
  try {
    const { stdout } = await promisify(execFile)('sh', [SETUP_SCRIPT, '--print-home', '--print-java-home', '--print-java-options']);
    const [home, javaHome, javaOptions] = stdout.trim().split('\n');
    if (home && javaHome && javaOptions) return { home, javaHome, javaOptions: javaOptions.split(/\s+/) };
    throw new Error(`it printed ${JSON.stringify(stdout)}`);
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `RocketMQ is not set up for the tests: run \`sh scripts/setup-rocketmq.sh\` (it downloads RocketMQ with mvn and needs a JDK 17 or newer). ${detail}`,
    );
  }
}

/** Starts java under the watchdog in a process group of its own, its output appended to `logFile`. */
function spawnWatched(
  folder: string,
  removeOnOrphan: string,
  logFile: string,
  command: string[],
  environment: NodeJS.ProcessEnv,
): JavaProcess {
  const log = openSync(logFile, 'a');
  const child = spawn('sh', ['-c', WATCHDOG, 'umca-rocketmq-watchdog', String(process.pid), removeOnOrphan, ...command], {
    cwd: folder,
    detached: true,
    stdio: ['ignore', log, log],
    // Only what Java needs: a JAVA_TOOL_OPTIONS or ROCKETMQ_* variable of the caller's would change this RocketMQ.
    env: environment,
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command[0]}: ${logTail(logFile)}`);
  let exitCode: number | string | null | undefined;
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? signal;
      resolveExit();
    }),
  );
  child.unref();
  return { pid, exited, exitCode: () => exitCode };
}

/**
 * Runs one admin command. It prints `create ... success.` once the broker has answered; the JVM
 * would then spend 3 s more in its client's shutdown (a poll it waits out), so it is killed there.
 */
async function runAdmin(command: string[], adminArguments: string[], environment: NodeJS.ProcessEnv): Promise<void> {
  const [java, ...javaArguments] = command;
  if (java === undefined) throw new Error('no java to run the admin tool with');
  const child = spawn(java, javaArguments, { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const succeeded = new Promise<boolean>((resolveRun) => {
    const onOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/^create .* success\.$/m.test(output)) resolveRun(true);
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', (error) => {
      output += String(error);
      resolveRun(false);
    });
    child.once('exit', () => resolveRun(/^create .* success\.$/m.test(output)));
  });
  const ended = new Promise<void>((resolveEnd) => {
    child.once('close', () => resolveEnd());
    child.once('error', () => resolveEnd());
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), ADMIN_TIMEOUT_MS);
  try {
    const success = await succeeded;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await ended;
    if (!success) {
      throw new Error(`RocketMQ's admin tool failed: mqadmin ${adminArguments.join(' ')}\n${output.trim()}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(
  ready: () => Promise<boolean>,
  exitCode: () => number | string | null | undefined,
  what: string,
  logFile: string,
): Promise<void> {
  const guard = Date.now() + READY_HANG_GUARD_MS;
  for (let poll = 1; poll <= READY_POLLS && Date.now() < guard; poll++) {
    const code = exitCode();
    if (code !== undefined)
      throw new Error(`RocketMQ exited (${code}) while waiting for ${what}; the end of its output:\n${logTail(logFile)}`);
    try {
      if (await ready()) return;
    } catch {
      // Not listening yet.
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(
    `RocketMQ was not ready after ${READY_POLLS} polls ${POLL_INTERVAL_MS} ms apart, waiting for ${what}; the end of its output:\n${logTail(logFile)}`,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolveConnect) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2_000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(true);
    });
    socket.once('error', () => resolveConnect(false));
    socket.once('close', () => resolveConnect(false));
  });
}

/**
 * The name server's cluster table (request code 106, GET_BROKER_CLUSTER_INFO) as text, through
 * RocketMQ's remoting protocol: a frame is [length][header length, top byte 0 for JSON][JSON
 * header][body]. The body is fastjson's, whose maps may have unquoted keys: read it as text.
 */
function readClusterInfo(port: number): Promise<string> {
  return new Promise((resolveInfo, rejectInfo) => {
    const header = Buffer.from(
      JSON.stringify({ code: 106, flag: 0, language: 'JAVA', opaque: 1, serializeTypeCurrentRPC: 'JSON', version: 0 }),
    );
    const prefix = Buffer.alloc(8);
    prefix.writeInt32BE(4 + header.length, 0);
    prefix.writeInt32BE(header.length, 4);
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(3_000, () => socket.destroy(new Error('the name server did not answer within 3 s')));
    socket.once('connect', () => socket.write(Buffer.concat([prefix, header])));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const data = Buffer.concat(chunks);
      if (data.length < 8 || data.length < 4 + data.readInt32BE(0)) return;
      const headerLength = data.readInt32BE(4) & 0xffffff;
      socket.destroy();
      resolveInfo(data.subarray(8 + headerLength, 4 + data.readInt32BE(0)).toString('utf8'));
    });
    socket.once('error', rejectInfo);
    socket.once('close', () => rejectInfo(new Error('the name server closed the connection')));
  });
}

/**
 * Free ports for the name server, the broker, and the proxy's gRPC and remoting servers. The
 * broker also takes its port - 2 and + 1, so those must be free too. Each is held while the next
 * is chosen, and checked on all interfaces, where these servers listen.
 */
async function findFreePorts(): Promise<{ namesrv: number; broker: number; grpc: number; remoting: number }> {
  const held: Server[] = [];
  const hold = async (port: number): Promise<number | undefined> => {
    const server = createServer();
    const bound = await new Promise<boolean>((settle) => {
      server.once('error', () => settle(false));
      server.listen(port, () => settle(true));
    });
    const address = server.address();
    if (!bound || address === null || typeof address === 'string') return undefined;
    held.push(server);
    return address.port;
  };
  try {
    const namesrv = await hold(0);
    const grpc = await hold(0);
    const remoting = await hold(0);
    let broker: number | undefined;
    for (let attempt = 0; attempt < 50 && broker === undefined; attempt++) {
      const candidate = await hold(0);
      if (
        candidate !== undefined &&
        candidate > 2 &&
        candidate < 65535 &&
        (await hold(candidate - 2)) !== undefined &&
        (await hold(candidate + 1)) !== undefined
      ) {
        broker = candidate;
      }
    }
    if (namesrv === undefined || grpc === undefined || remoting === undefined || broker === undefined) {
      throw new Error('could not find free ports for RocketMQ (the broker needs its port, port - 2 and port + 1)');
    }
    return { namesrv, broker, grpc, remoting };
  } finally {
    await Promise.all(held.map((server) => new Promise((closed) => server.close(closed))));
  }
}

function toProperties(settings: Record<string, string | number | boolean>): string {
  return Object.entries(settings)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/** Awaits with a timer holding the event loop open: the processes awaited are unref'd, and would not. */
async function held<T>(promise: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 60_000);
  try {
    return await promise;
  } finally {
    clearInterval(timer);
  }
}

/** Signals the process group: the watchdog and the Java it started. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function logTail(logFile: string, lines = 40): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

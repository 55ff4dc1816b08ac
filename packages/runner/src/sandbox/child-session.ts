/**
 * @module child-session
 * Everything a forked child does, start to end: shed the zygote's descriptors, lock itself down
 * (seccomp, not dumpable, dies with the zygote), announce itself, wait for its one order, set its
 * limits, run the program, report, and exit. A child never serves a second run, unless the host
 * made it a session's first (`session` instead of an order): then it sets the session's limits
 * once and takes its orders one after another in the same interpreter, until a run ends past a
 * limit or the host closes the channel. A session's child may be told to pause between runs (it
 * sends its snapshot and ends), and a new child may be made a paused session's (it loads the
 * snapshot before its limits are set, since the snapshot's bytes pass through it).
 */
import type { SandboxAddon } from '../internal/native-addon.js';
import { keepEventLoopAwake } from './child-event-loop.js';
import { createOutputSink } from './output-sink.js';
import { type ChildOutcome, type RunOrder, type SessionTerms, SNAPSHOT_CHUNK_BYTES, sessionSurvives } from './protocol.js';
import { runtimeOf } from './runtime-of.js';
import type { RuntimeOutcome, SandboxRuntime } from './runtimes/runtime.js';
import { packSnapshot, restoreWorkspace, unpackSnapshot } from './session-snapshot.js';
import { SyncChannel } from './sync-channel.js';

const MIB = 1_048_576;
/** Room for the child's own bookkeeping (result encoding, V8 garbage) on top of the run's limit. */
const DATA_HEADROOM_BYTES = 64 * MIB;

export interface ChildSessionOptions {
  addon: SandboxAddon;
  channelFd: number;
  controlFd: number;
  runtimes: Partial<Record<RunOrder['language'], SandboxRuntime>>;
  /** Copies the pages a run will write, before the order arrives (zygote-memory.ts). */
  prefault?: () => void;
  /** Lets the zygote's HTTP bridges reach this child's channel. */
  useChannel: (channel: SyncChannel) => void;
}

export async function runChildSession(options: ChildSessionOptions): Promise<never> {
  const { addon } = options;
  keepEventLoopAwake();
  addon.closeFd(options.controlFd);
  addon.redirectToDevNull([0, 1, 2]);
  addon.hardenProcess();
  options.prefault?.();
  // Forked under the zygote's SCHED_BATCH; the run is scheduled as any process.
  addon.batchScheduling(false);
  addon.installSeccomp();

  const channel = new SyncChannel(options.channelFd);
  options.useChannel(channel);
  channel.send({ type: 'ready' });
  const message = channel.receive();
  if (message?.type === 'session') {
    const restore = message.rawBytes === undefined ? undefined : channel.receiveRaw(message.rawBytes);
    if (message.rawBytes !== undefined && !restore) return addon.exit(0);
    return serveSession(options, channel, message.terms, restore);
  }
  if (message?.type !== 'run') return addon.exit(0);
  const order = message.order;
  const received = performance.now();
  const reserve = options.runtimes[order.language]?.reserve;
  addon.setLimits({
    cpuSeconds: Math.ceil(order.budgetMs / 1000) + 1,
    dataBytes: addon.dataBytes() + order.limits.memoryMb * MIB + DATA_HEADROOM_BYTES + (reserve?.dataBytes ?? 0),
    openFiles: 64,
    fileSizeBytes: reserve?.fileBytes ?? 0,
  });
  const conclude = (outcome: ChildOutcome): never => {
    channel.send({ type: 'result', outcome: { ...outcome, programMs: performance.now() - received } });
    return addon.exit(0, order.exitIdle === true);
  };
  // Code that reaches the JavaScript realm can throw where no runtime awaits it (a callback, a
  // timer). That is the program failing, not the sandbox: report it as the run's error.
  const failFromRealm = (error: unknown) => conclude(failure(order, error, 'error'));
  process.on('uncaughtException', failFromRealm);
  process.on('unhandledRejection', failFromRealm);
  return executeOrder({ channel, runtimes: options.runtimes, order, conclude });
}

/**
 * A session: the limits hold for all its runs together (its memory counts the state the runs
 * leave, its CPU seconds add up), each order runs in the interpreter the last one left, and the
 * child ends after a run that hit a limit (it says so with its result) or when the host closes.
 */
async function serveSession(
  options: ChildSessionOptions,
  channel: SyncChannel,
  terms: SessionTerms,
  restore: Buffer | undefined,
): Promise<never> {
  const { addon, runtimes } = options;
  const runtime = runtimes[terms.language];
  const reserve = runtime?.reserve;
  // A resumed session goes on with the CPU seconds it had left.
  let cpuSecondsBefore = 0;
  if (restore !== undefined) {
    try {
      cpuSecondsBefore = resumeSession(runtime, terms, restore);
    } catch (error) {
      channel.send({ type: 'resume-failed', message: (error as Error).message });
      return addon.exit(0);
    }
    channel.send({ type: 'resumed' });
  } else runtime?.pausing?.open(terms.memoryMb * MIB);
  addon.setLimits({
    cpuSeconds: Math.max(1, Math.ceil(terms.cpuSeconds - cpuSecondsBefore)),
    dataBytes: addon.dataBytes() + terms.memoryMb * MIB + DATA_HEADROOM_BYTES + (reserve?.dataBytes ?? 0),
    openFiles: 64,
    fileSizeBytes: reserve?.fileBytes ?? 0,
  });
  let current: { order: RunOrder; received: number } | undefined;
  const conclude = (outcome: ChildOutcome, final: boolean) => {
    const programMs = current ? performance.now() - current.received : 0;
    channel.send({ type: 'result', outcome: { ...outcome, programMs }, ...(final ? { final } : {}) });
  };
  // Thrown where no run awaits it, the program's error ends the run and, since the interpreter is
  // then somewhere mid-call, the session.
  const failFromRealm = (error: unknown): never => {
    if (current) conclude(failure(current.order, error, 'error'), true);
    return addon.exit(0);
  };
  process.on('uncaughtException', failFromRealm);
  process.on('unhandledRejection', failFromRealm);
  for (;;) {
    const message = channel.receive();
    if (message?.type === 'pause') return pauseSession(channel, runtime, cpuSecondsBefore, addon);
    if (message?.type !== 'run') return addon.exit(0);
    current = { order: message.order, received: performance.now() };
    const order: RunOrder = { ...message.order, limits: { ...message.order.limits, memoryMb: terms.memoryMb } };
    const outcome: RuntimeOutcome =
      order.language === terms.language && runtimes[order.language]?.sessions
        ? await runOrder({
            channel,
            runtimes,
            order,
            session: true,
            onLimit: (limited) => {
              conclude(limited, true);
              return addon.exit(0);
            },
          })
        : refusal(
            order,
            order.language === terms.language
              ? `this sandbox cannot hold a ${order.language} session`
              : `this session runs ${terms.language}, not ${order.language}`,
          );
    const { endsSession, ...reported } = outcome;
    const final = !sessionSurvives(reported.status) || endsSession === true;
    conclude(reported, final);
    current = undefined;
    if (final) return addon.exit(0);
  }
}

/** Loads a paused session's snapshot into this child; returns the CPU seconds it had used. */
function resumeSession(runtime: SandboxRuntime | undefined, terms: SessionTerms, packed: Buffer): number {
  const pausing = runtime?.pausing;
  if (!pausing) throw new Error(`this sandbox cannot resume a ${terms.language} session`);
  const { header, files, memory } = unpackSnapshot(packed);
  if (header.runtime !== runtime.runtime || header.image !== pausing.image) {
    throw new Error(
      `the snapshot was made by ${header.runtime} from ${header.image}, and this server runs ${runtime.runtime} from ${pausing.image}: ` +
        'a session paused before an upgrade of the interpreter cannot be resumed',
    );
  }
  restoreWorkspace(pausing.root, header, files);
  pausing.load(terms.memoryMb * MIB, memory);
  return Number.isFinite(header.cpuSecondsUsed) ? Math.max(0, header.cpuSecondsUsed) : 0;
}

/** Sends the session's snapshot to the host in parts, then ends the child. */
function pauseSession(channel: SyncChannel, runtime: SandboxRuntime | undefined, cpuSecondsBefore: number, addon: SandboxAddon): never {
  const pausing = runtime?.pausing;
  if (!pausing) return addon.exit(0);
  const used = process.cpuUsage();
  packSnapshot(
    { runtime: runtime.runtime, image: pausing.image, cpuSecondsUsed: cpuSecondsBefore + (used.user + used.system) / 1e6 },
    pausing.root,
    (hand) => pausing.save(hand),
    (part) => channel.sendRaw({ type: 'snapshot', rawBytes: part.byteLength }, part),
    SNAPSHOT_CHUNK_BYTES,
  );
  channel.send({ type: 'snapshot-done' });
  return addon.exit(0);
}

export interface OrderContext {
  channel: SyncChannel;
  runtimes: Partial<Record<RunOrder['language'], SandboxRuntime>>;
  order: RunOrder;
  /** Reports the outcome; never returns (the child exits, a rehearsal throws). */
  conclude: (outcome: ChildOutcome) => never;
}

/** Runs one order in its runtime and concludes with the outcome, whatever happens. */
export async function executeOrder({ channel, runtimes, order, conclude }: OrderContext): Promise<never> {
  return conclude(await runOrder({ channel, runtimes, order, onLimit: conclude }));
}

interface RunOrderContext {
  channel: SyncChannel;
  runtimes: Partial<Record<RunOrder['language'], SandboxRuntime>>;
  order: RunOrder;
  /** The run is one of a session's: its state stays for the next. */
  session?: boolean;
  /** Called when the output passes its cap, mid-program: it must not return to the program. */
  onLimit: (outcome: ChildOutcome) => never;
}

/** Runs one order in its runtime and returns how it ended, whatever happens. */
async function runOrder({ channel, runtimes, order, session, onLimit }: RunOrderContext): Promise<RuntimeOutcome> {
  const deadline = performance.now() + order.budgetMs;
  const runtime = runtimes[order.language];
  if (!runtime) return refusal(order, `this sandbox does not run ${order.language}`);
  const output = createOutputSink({
    channel,
    capBytes: order.limits.outputBytes,
    onLimit: ({ status }) => onLimit({ status, exitCode: null, files: [], runtime: runtimeOf(order.language) }),
  });
  try {
    return await runtime.run({
      order,
      channel,
      output,
      deadline,
      memoryBytes: order.limits.memoryMb * MIB,
      ...(session ? { session } : {}),
    });
  } catch (error) {
    const isMemory = error instanceof RangeError && /memory|allocation/i.test(error.message);
    return failure(order, error, isMemory ? 'memory_limit' : 'error');
  }
}

function refusal(order: RunOrder, message: string): ChildOutcome {
  return { status: 'error', exitCode: null, error: { type: 'SandboxError', message }, files: [], runtime: runtimeOf(order.language) };
}

function failure(order: RunOrder, error: unknown, status: 'error' | 'memory_limit'): ChildOutcome {
  return {
    status,
    exitCode: status === 'error' ? 1 : null,
    error: {
      type: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
      ...(error instanceof Error && error.stack ? { traceback: error.stack } : {}),
    },
    files: [],
    runtime: runtimeOf(order.language),
  };
}

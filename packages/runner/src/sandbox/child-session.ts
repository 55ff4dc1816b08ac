/**
 * @module child-session
 * Everything a forked child does, start to end: shed the zygote's descriptors, lock itself down
 * (seccomp, not dumpable, dies with the zygote), announce itself, wait for its one order, set its
 * limits, run the program, report, and exit. It never serves a second run.
 */
import type { SandboxAddon } from '../internal/native-addon.js';
import { keepEventLoopAwake } from './child-event-loop.js';
import { createOutputSink } from './output-sink.js';
import type { ChildOutcome, RunOrder } from './protocol.js';
import { runtimeOf } from './runtime-of.js';
import type { SandboxRuntime } from './runtimes/runtime.js';
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

export interface OrderContext {
  channel: SyncChannel;
  runtimes: Partial<Record<RunOrder['language'], SandboxRuntime>>;
  order: RunOrder;
  /** Reports the outcome; never returns (the child exits, a rehearsal throws). */
  conclude: (outcome: ChildOutcome) => never;
}

/** Runs one order in its runtime and concludes with the outcome, whatever happens. */
export async function executeOrder({ channel, runtimes, order, conclude }: OrderContext): Promise<never> {
  const deadline = performance.now() + order.budgetMs;
  const runtime = runtimes[order.language];
  if (!runtime) {
    return conclude({
      status: 'error',
      exitCode: null,
      error: { type: 'SandboxError', message: `this sandbox does not run ${order.language}` },
      files: [],
      runtime: runtimeOf(order.language),
    });
  }
  const output = createOutputSink({
    channel,
    capBytes: order.limits.outputBytes,
    onLimit: ({ status }) => conclude({ status, exitCode: null, files: [], runtime: runtimeOf(order.language) }),
  });
  let outcome: ChildOutcome;
  try {
    outcome = await runtime.run({ order, channel, output, deadline, memoryBytes: order.limits.memoryMb * MIB });
  } catch (error) {
    const isMemory = error instanceof RangeError && /memory|allocation/i.test(error.message);
    outcome = failure(order, error, isMemory ? 'memory_limit' : 'error');
  }
  return conclude(outcome);
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

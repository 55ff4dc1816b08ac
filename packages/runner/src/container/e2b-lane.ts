/**
 * @module e2b-lane
 * The `container` lane on E2B's cloud (https://e2b.dev): each run gets a fresh Firecracker microVM
 * of the code-interpreter template, created, given its files, run, read back and killed through
 * E2B's HTTP API (e2b-api.ts). The time limit, the output caps, cancellation and the file checks are
 * held here; the network is switched off by E2B. What is enforced where: docs/e2b.md.
 *
 * Both languages run in the template's Jupyter kernels through its code-interpreter server
 * (`/contexts`, `/execute`): it takes a `language`, so javascript runs in its JavaScript kernel
 * (ijavascript on Node) rather than as `node` through envd's process API.
 */
import type {
  AcceptedExecutionV1,
  ExecuteOptionsV1,
  ExecutionResult,
  ExecutionStatus,
  LaneSelection,
  LaneV1,
  Runtime,
} from '@umca/contracts';
import { MAX_LISTED_DROPPED_FILES, MAX_OUTPUT_FILES, MAX_OUTPUT_FILES_BYTES, resolveLimits } from '@umca/contracts';
import { RunnerError } from '../errors.js';
import { checkOutputFiles } from '../host/check-output-files.js';
import { interpretEnd } from '../host/interpret-end.js';
import type { ChildEnd } from '../host/sandbox-child.js';
import type { SandboxDroppedFiles, SandboxDropReason, SandboxFile } from '../sandbox/protocol.js';
import { type CappedOutputs, createCappedOutputs, type OutputStream } from './capped-outputs.js';
import {
  createE2bApi,
  describeCause,
  type E2bApiOptions,
  E2bFailure,
  type E2bSandbox,
  type ExecutionLine,
  INTERPRETER_FAILURES,
} from './e2b-api.js';

export interface E2bLaneOptions extends E2bApiOptions {
  /** The clock of a run's duration and of the sandboxes' startup time. Default `Date.now`. */
  readonly now?: () => number;
}

/** An empty folder of its own, so what the run wrote is all that is in it (not the kernels' own files). */
const WORK_DIR = '/home/user/umca-run';
const ANSI_ESCAPE = /\u001b\[[0-9;]*[A-Za-z]/g;

type Stop = 'cancelled' | 'timeout' | 'output_limit';
type InputFile = NonNullable<AcceptedExecutionV1['request']['files']>[number];

const decodeInput = (file: InputFile) => Buffer.from(file.content, file.encoding === 'base64' ? 'base64' : 'utf8');

/** How a program's `error` message ends the run; `SystemExit` is an exit code, as in the wasm lane. */
function programEnd(error: ExecutionLine | undefined) {
  if (!error) return { status: 'ok' as const, exitCode: 0 };
  const name = error.name ?? 'Error';
  const value = error.value ?? '';
  if (name === 'SystemExit') {
    const code = value === '' || value === 'None' ? 0 : /^-?\d+$/.test(value) ? Number(value) : 1;
    const exitCode = code >= 0 ? code & 0xff : 1;
    return { status: exitCode === 0 ? ('ok' as const) : ('error' as const), exitCode };
  }
  const traceback = error.traceback ? error.traceback.replace(ANSI_ESCAPE, '') : undefined;
  return {
    status: 'error' as const,
    exitCode: 1,
    error: { type: name, message: value, ...(traceback ? { traceback } : {}) },
  };
}

/**
 * The `container` lane on E2B: python on CPython (IPython kernel) and javascript on Node (the
 * template's ijavascript kernel), in a Firecracker microVM per run.
 *
 * @example
 * const lane = createE2bLane({ apiKey: process.env.UMCA_E2B_API_KEY ?? '' });
 * const result = await lane.execute(acceptExecutionRequest({ language: 'python', code: 'print(1)' }));
 */
export function createE2bLane(options: E2bLaneOptions): LaneV1 {
  if (!options.apiKey) {
    throw new RunnerError('invalid_option', 'the E2B lane needs an API key: set UMCA_E2B_API_KEY (E2B’s dashboard gives one)');
  }
  const api = createE2bApi(options);
  const now = options.now ?? Date.now;
  /** Sandboxes running a run, with what cancels it; and the kills under way, so each is sent once. */
  const live = new Map<string, () => void>();
  const kills = new Map<string, Promise<void>>();
  let sandboxStartupMs: number | undefined;
  let closed = false;

  const redact = (text: string, secrets: readonly string[]) =>
    [options.apiKey, ...secrets].reduce((safe, secret) => (secret.length >= 4 ? safe.split(secret).join('[redacted]') : safe), text);

  /** Kills a sandbox once, however many ask; it no longer has a run to cancel. Never throws. */
  function killSandbox(id: string): Promise<void> {
    const pending = kills.get(id);
    if (pending) return pending;
    live.delete(id);
    const kill = api.killSandbox(id).finally(() => kills.delete(id));
    kills.set(id, kill);
    return kill;
  }

  /**
   * The files the run created or changed in WORK_DIR, read back through envd within the caps, as
   * the wasm lane's workspace does: unchanged inputs are not sent back, links and special files are
   * named and left out. checkOutputFiles judges the whole report afterwards.
   */
  async function collectFiles(sandbox: E2bSandbox, inputs: readonly InputFile[], stop: AbortSignal) {
    const files: SandboxFile[] = [];
    const dropped: SandboxDroppedFiles = { count: 0, files: [] };
    const drop = (path: string, reason: SandboxDropReason) => {
      dropped.count++;
      if (dropped.files.length < MAX_LISTED_DROPPED_FILES) dropped.files.push({ path, reason });
    };
    const entries = await api.listDir(sandbox, WORK_DIR, stop);
    // Tens of thousands of entries: the run made far more files than it may return.
    if (!entries) {
      drop('.', 'count_limit');
      return { files, droppedFiles: dropped };
    }
    const original = new Map(inputs.map((file) => [file.path, decodeInput(file)]));
    // A file gone since the listing (a process the program left behind removed it) is skipped.
    const read = (absolute: string, maxBytes: number) => api.readFile(sandbox, absolute, maxBytes, stop);
    let total = 0;
    for (const entry of entries) {
      if (entry.type === 'FILE_TYPE_DIRECTORY') continue;
      const path = entry.path.startsWith(`${WORK_DIR}/`) ? entry.path.slice(WORK_DIR.length + 1) : entry.path;
      if (entry.type === 'FILE_TYPE_SYMLINK' || entry.symlinkTarget !== undefined) {
        drop(path, 'symlink');
        continue;
      }
      if (entry.type !== 'FILE_TYPE_FILE') {
        drop(path, 'special_file');
        continue;
      }
      const size = Number(entry.size);
      const before = original.get(path);
      let bytes = before && before.byteLength === size ? await read(entry.path, size) : undefined;
      if (bytes === null || (bytes && before?.equals(bytes))) continue;
      if (files.length >= MAX_OUTPUT_FILES) {
        drop(path, 'count_limit');
        continue;
      }
      const room = MAX_OUTPUT_FILES_BYTES - total;
      bytes ??= size > room ? undefined : await read(entry.path, room);
      if (bytes === null) continue;
      if (!bytes) {
        drop(path, 'size_limit');
        continue;
      }
      total += bytes.byteLength;
      const text = bytes.toString('utf8');
      const isText = Buffer.from(text, 'utf8').equals(bytes);
      files.push({ path, encoding: isText ? 'utf8' : 'base64', content: isText ? text : bytes.toString('base64') });
    }
    return dropped.count > 0 ? { files, droppedFiles: dropped } : { files };
  }

  /** Why a request cannot run on E2B, before a sandbox is paid for. */
  function refusal({ request, egress }: AcceptedExecutionV1): string | undefined {
    if (closed) return 'the E2B lane is closed';
    if (request.language === 'wasi')
      return 'the E2B container lane runs python and javascript, not wasi; send wasm32-wasi modules to the wasm lane';
    if (request.stdin !== undefined && request.stdin !== '')
      return 'the E2B container lane cannot pass stdin (the code runs in a Jupyter kernel, which has none); put the input in a file under `files` and read it there';
    if (egress.allowedOutboundHosts.length > 0)
      return (
        'E2B cannot hold the run to its allowedOutboundHosts: its sandboxes filter outbound traffic by host only, not by scheme and port, ' +
        'and report no attempts; leave allowedOutboundHosts empty to run on E2B without network, or send the run to the wasm lane'
      );
    return undefined;
  }

  function resultOf(fields: {
    status: ExecutionStatus;
    exitCode: number | null;
    reason?: string;
    outputs?: CappedOutputs;
    error?: ExecutionResult['error'];
    checked?: ReturnType<typeof checkOutputFiles>;
    selection?: LaneSelection;
    durationMs: number;
  }): ExecutionResult {
    const { outputs, checked } = fields;
    return {
      status: fields.status,
      exitCode: fields.exitCode,
      ...(fields.reason ? { reason: fields.reason } : {}),
      stdout: outputs?.text('stdout') ?? '',
      stderr: outputs?.text('stderr') ?? '',
      stdoutTruncated: outputs?.truncated('stdout') ?? false,
      stderrTruncated: outputs?.truncated('stderr') ?? false,
      ...(fields.error ? { error: fields.error } : {}),
      files: checked?.files ?? [],
      ...(checked?.droppedFiles ? { droppedFiles: checked.droppedFiles } : {}),
      // E2B reports no outbound attempts; with the network off there are none to report.
      egress: [],
      lane: 'container',
      ...(fields.selection ? { runtime: fields.selection.runtime, selection: fields.selection } : {}),
      isolation: 'vm',
      durationMs: fields.durationMs,
      timings: { queuedMs: 0, executeMs: fields.durationMs },
    };
  }

  return {
    specificationVersion: 'v1',
    lane: 'container',
    runtimes: ['cpython', 'node'],
    isolation: 'vm',
    async execute(accepted: AcceptedExecutionV1, execute: ExecuteOptionsV1 = {}): Promise<ExecutionResult> {
      const started = now();
      const { request } = accepted;
      const refused = refusal(accepted);
      if (refused || request.language === 'wasi') return resultOf({ status: 'rejected', exitCode: null, reason: refused, durationMs: 0 });
      if (execute.signal?.aborted) return resultOf({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled', durationMs: 0 });
      const limits = resolveLimits(request.limits);
      const runtime: Runtime = request.language === 'python' ? 'cpython' : 'node';
      // The runner puts its router's reason in place of this one.
      const selection: LaneSelection = {
        lane: 'container',
        runtime,
        by: 'request',
        reason: `native ${runtime === 'cpython' ? 'python3' : 'node'} in an E2B microVM`,
      };
      const stop = new AbortController();
      const halt = (why: Stop) => {
        if (!stop.signal.aborted) stop.abort(why);
      };
      const onAbort = () => halt('cancelled');
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      let overflowed: OutputStream | undefined;
      const outputs = createCappedOutputs(limits.outputBytes, execute.onOutput, (stream) => {
        overflowed ??= stream;
        halt('output_limit');
      });
      let sandbox: E2bSandbox | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let end: ChildEnd;
      let finished = started;
      try {
        // Not cancelled midway: a sandbox E2B made but never named could not be killed.
        const creating = now();
        sandbox = await api.createSandbox(limits.timeoutMs);
        sandboxStartupMs = now() - creating;
        live.set(sandbox.id, onAbort);
        if (closed) halt('cancelled');
        if (stop.signal.aborted) throw stop.signal.reason;
        execute.onStart?.({ queuedMs: 0, lane: 'container', runtime, isolation: 'vm', selection });
        await api.makeDir(sandbox, WORK_DIR, stop.signal);
        const current = sandbox;
        await Promise.all(
          (request.files ?? []).map((file) => api.upload(current, `${WORK_DIR}/${file.path}`, decodeInput(file), stop.signal)),
        );
        const contextId = await api.createContext(sandbox, request.language, WORK_DIR, stop.signal);
        timer = setTimeout(() => halt('timeout'), limits.timeoutMs);
        const error = await api.runCode(sandbox, contextId, request.code, outputs.write, stop.signal);
        clearTimeout(timer);
        if (error && INTERPRETER_FAILURES.has(error.name ?? '')) {
          throw new E2bFailure(
            error.name === 'ContextRestarting'
              ? 'E2B’s code interpreter restarted the kernel mid-run: the program may have used up the sandbox’s memory, or ended the interpreter'
              : `E2B’s code interpreter lost the execution (${error.name}: ${error.value ?? ''})`,
          );
        }
        const ending = programEnd(error);
        // As in the wasm lane, a traceback is also on stderr.
        if (ending.error?.traceback)
          outputs.write('stderr', ending.error.traceback.endsWith('\n') ? ending.error.traceback : `${ending.error.traceback}\n`);
        const collected = await collectFiles(sandbox, request.files ?? [], stop.signal);
        end = {
          kind: 'result',
          outcome: {
            ...ending,
            files: collected.files,
            ...(collected.droppedFiles ? { droppedFiles: collected.droppedFiles } : {}),
            runtime,
          },
        };
      } catch (error) {
        const why = stop.signal.aborted ? (stop.signal.reason as Stop) : undefined;
        if (why === 'output_limit')
          end = { kind: 'killed', reason: why, detail: `${overflowed ?? 'stdout'} passed the limit of ${limits.outputBytes} bytes` };
        else if (why) end = { kind: 'killed', reason: why, detail: why };
        else {
          const detail = error instanceof E2bFailure ? error.message : `the E2B lane failed: ${describeCause(error)}`;
          end = { kind: 'killed', reason: 'protocol', detail: redact(detail, sandbox?.secrets ?? []) };
        }
      } finally {
        finished = now();
        clearTimeout(timer);
        execute.signal?.removeEventListener('abort', onAbort);
        if (sandbox) await killSandbox(sandbox.id);
      }
      const { status, reason } = interpretEnd(end, { limits });
      const outcome = end.kind === 'result' ? end.outcome : undefined;
      return resultOf({
        status,
        exitCode: outcome ? outcome.exitCode : null,
        ...(reason ? { reason } : {}),
        outputs,
        ...(outcome?.error ? { error: outcome.error } : {}),
        checked: checkOutputFiles(outcome?.files ?? [], outcome?.droppedFiles),
        selection,
        durationMs: finished - started,
      });
    },
    stats() {
      return { lane: 'container', isolation: 'vm', idleSandboxes: 0, sandboxStartupMs, runtimes: ['cpython', 'node'] };
    },
    async close() {
      closed = true;
      const running = [...live];
      for (const [, cancel] of running) cancel();
      await Promise.all(running.map(([id]) => killSandbox(id)));
    },
  };
}

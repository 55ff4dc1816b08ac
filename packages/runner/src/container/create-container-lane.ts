/**
 * @module create-container-lane
 * LaneV1 `container`: native `python3` or `node` for what WebAssembly cannot do (subprocesses,
 * `pip install` from an allowed index, packages no WASM runtime has, native extensions). Each
 * run is a fresh bubblewrap sandbox (native-command.ts): new namespaces, no network but its
 * egress proxy, an unprivileged uid of its own as root, rlimits, tmpfs for everything it may
 * write, gone with the run. Slower to start than the wasm lane (a process tree per run, no
 * zygote) and a larger surface (a native interpreter, no seccomp filter): the router sends code
 * here only when the caller may use it and the code needs it.
 */
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AcceptedExecutionV1, ExecuteOptionsV1, ExecutionResult, LaneV1, Runtime } from '@umca/contracts';
import { MAX_LIMITS, resolveLimits, unstartedResult } from '@umca/contracts';
import { createEgressGateway, type EgressGatewayOptions } from '@umca/policy';
import { checkOutputFiles } from '../host/check-output-files.js';
import type { SandboxIds } from '../host/sandbox-command.js';
import type { ResolvedRunnerOptions } from '../resolve-runner-options.js';
import type { SandboxDroppedFiles, SandboxFile } from '../sandbox/protocol.js';
import { createRunIdPool } from '../sandbox/run-id-pool.js';
import { decodeInputFile } from '../sandbox/workspace.js';
import { startEgressProxy } from './egress-proxy.js';
import { nativeCommand, programFile } from './native-command.js';

export interface ContainerLaneOptions {
  readonly settings: ResolvedRunnerOptions;
  readonly bwrapPath: string;
  /** As root: the host uids its runs hold, one per live run. */
  readonly sandboxIds?: SandboxIds;
  readonly egress?: EgressGatewayOptions;
}

interface LauncherReport {
  exitCode?: number;
  files?: SandboxFile[];
  droppedFiles?: SandboxDroppedFiles;
}

/** The last line of a Python traceback, as the error's type and message. */
function pythonError(stderr: string): ExecutionResult['error'] | undefined {
  const at = stderr.lastIndexOf('Traceback (most recent call last):');
  if (at < 0) return undefined;
  const traceback = stderr.slice(at);
  const last = traceback.trimEnd().split('\n').at(-1) ?? '';
  const match = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/.exec(last);
  if (!match?.[1]) return undefined;
  return { type: match[1].split('.').at(-1) ?? match[1], message: match[2] ?? '', traceback };
}

export function createContainerLane(options: ContainerLaneOptions): LaneV1 {
  const { settings, bwrapPath } = options;
  const now = settings.now;
  const gateway = createEgressGateway({ now, ...options.egress });
  const uids = options.sandboxIds ? createRunIdPool(options.sandboxIds.first, options.sandboxIds.count) : undefined;
  const live = new Set<() => void>();

  async function execute({ request, egress: policy }: AcceptedExecutionV1, execute: ExecuteOptionsV1 = {}): Promise<ExecutionResult> {
    const isolation = 'os' as const;
    if (request.language === 'wasi') {
      return unstartedResult({
        status: 'rejected',
        reason: 'a WASI module runs in the wasm lane; leave out lane: "container"',
        isolation,
        lane: 'container',
      });
    }
    const uid = uids?.take();
    if (uids && uid === undefined) {
      return unstartedResult({
        status: 'busy',
        reason: `all ${options.sandboxIds?.count} container-lane uids are in use; try again later`,
        isolation,
        lane: 'container',
      });
    }
    const started = now();
    const limits = resolveLimits(request.limits);
    const runtime: Runtime = request.language === 'python' ? 'cpython' : 'node';
    const runDir = mkdtempSync(join(tmpdir(), 'umca-container-'));
    const output = { stdout: [] as string[], stderr: [] as string[] };
    const written = { stdout: 0, stderr: 0 };
    const egress: ExecutionResult['egress'] = [];
    let ended: 'timeout' | 'cancelled' | 'output_limit' | undefined;
    let proxy: Awaited<ReturnType<typeof startEgressProxy>> | undefined;
    try {
      for (const file of request.files ?? []) {
        const path = join(runDir, 'input', file.path);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, decodeInputFile({ path: file.path, content: file.content, encoding: file.encoding }));
      }
      mkdirSync(join(runDir, 'input'), { recursive: true });
      mkdirSync(join(runDir, 'program'));
      const file = programFile(request.language, request.code);
      writeFileSync(join(runDir, 'program', file), request.code);
      if (request.stdin !== undefined) writeFileSync(join(runDir, 'stdin'), request.stdin);
      const deadline = started + limits.timeoutMs;
      proxy = await startEgressProxy({
        socketPath: join(runDir, 'proxy.sock'),
        gateway,
        policy,
        deadline: () => deadline,
        onAttempt: (attempt) => {
          egress.push(attempt);
          execute.onEgress?.(attempt);
        },
      });
      if (uid !== undefined) chownTree(runDir, uid);
      const command = nativeCommand({
        bwrapPath,
        language: request.language,
        programFile: file,
        runDir,
        memoryMb: limits.memoryMb,
        cpuSeconds: Math.ceil(limits.timeoutMs / 1000) + 1,
        ...(uid !== undefined ? { uid } : {}),
      });
      execute.onStart?.({
        queuedMs: 0,
        lane: 'container',
        runtime,
        isolation,
        selection: {
          lane: 'container',
          runtime,
          by: 'request',
          reason: `native ${runtime === 'cpython' ? 'python3' : 'node'} in an OS sandbox`,
        },
      });
      const child = spawn(command.file, command.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], detached: true, env: {} });
      const stop = (why: typeof ended) => {
        ended ??= why;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      live.add(() => stop('cancelled'));
      const timer = setTimeout(() => stop('timeout'), limits.timeoutMs);
      const onAbort = () => stop('cancelled');
      execute.signal?.addEventListener('abort', onAbort, { once: true });
      if (execute.signal?.aborted) onAbort();
      for (const stream of ['stdout', 'stderr'] as const) {
        const decoder = new TextDecoder();
        child[stream]?.on('data', (chunk: Buffer) => {
          const room = limits.outputBytes - written[stream];
          const kept = chunk.subarray(0, Math.max(0, room));
          written[stream] += chunk.byteLength;
          const text = decoder.decode(kept, { stream: kept.byteLength === chunk.byteLength });
          if (text) {
            output[stream].push(text);
            execute.onOutput?.(stream, text);
          }
          if (chunk.byteLength > room) stop('output_limit');
        });
      }
      const reportChunks: Buffer[] = [];
      let reportBytes = 0;
      (child.stdio[3] as NodeJS.ReadableStream | null)?.on('data', (chunk: Buffer) => {
        reportBytes += chunk.byteLength;
        if (reportBytes <= 32 * 1_048_576) reportChunks.push(chunk);
      });
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on('close', (code, signal) => resolve({ code, signal }));
        child.on('error', () => resolve({ code: null, signal: null }));
      });
      clearTimeout(timer);
      execute.signal?.removeEventListener('abort', onAbort);
      let report: LauncherReport = {};
      try {
        report = JSON.parse(Buffer.concat(reportChunks).toString('utf8') || '{}') as LauncherReport;
      } catch {
        report = {};
      }
      const finished = now();
      const stdout = output.stdout.join('');
      const stderr = output.stderr.join('');
      const exitCode = typeof report.exitCode === 'number' ? report.exitCode : exit.code;
      const base = {
        stdout,
        stderr,
        stdoutTruncated: written.stdout > limits.outputBytes,
        stderrTruncated: written.stderr > limits.outputBytes,
        egress,
        lane: 'container' as const,
        runtime,
        selection: {
          lane: 'container' as const,
          runtime,
          by: 'request' as const,
          reason: `native ${runtime === 'cpython' ? 'python3' : 'node'} in an OS sandbox`,
        },
        isolation,
        durationMs: finished - started,
        timings: { queuedMs: 0, executeMs: finished - started },
      };
      if (ended === 'timeout') {
        return {
          ...base,
          status: 'timeout',
          exitCode: null,
          reason: `the run passed its time limit of ${limits.timeoutMs} ms and was killed; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
          files: [],
        };
      }
      if (ended === 'cancelled') return { ...base, status: 'cancelled', exitCode: null, reason: 'the run was cancelled', files: [] };
      if (ended === 'output_limit') {
        return {
          ...base,
          status: 'output_limit',
          exitCode: null,
          reason: `the output passed its limit of ${limits.outputBytes} bytes and the run was killed; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
          files: [],
        };
      }
      const checked = checkOutputFiles(Array.isArray(report.files) ? report.files : [], report.droppedFiles);
      const files = { files: checked.files, ...(checked.droppedFiles ? { droppedFiles: checked.droppedFiles } : {}) };
      if (exitCode === 0) return { ...base, status: 'ok', exitCode: 0, ...files };
      if (exitCode === null || exitCode < 0 || typeof report.exitCode !== 'number') {
        return {
          ...base,
          status: 'crashed',
          exitCode: null,
          reason:
            `the sandbox ended without a report (exit ${exit.code ?? exit.signal ?? 'unknown'}); ${stderr.trim().split('\n').at(-1) ?? ''}`.trim(),
          ...files,
        };
      }
      const error = request.language === 'python' ? pythonError(stderr) : undefined;
      return {
        ...base,
        status: 'error',
        exitCode,
        reason: error ? `${error.type}: ${error.message.split('\n')[0]}` : `the program exited with code ${exitCode}`,
        ...(error ? { error } : {}),
        ...files,
      };
    } catch (error) {
      return unstartedResult({
        status: 'rejected',
        reason: `the container lane could not start the run: ${(error as Error).message}`,
        isolation,
        lane: 'container',
      });
    } finally {
      await proxy?.close();
      rmSync(runDir, { recursive: true, force: true });
      if (uid !== undefined) uids?.giveBack(uid);
    }
  }

  return {
    specificationVersion: 'v1',
    lane: 'container',
    runtimes: ['cpython', 'node'],
    isolation: 'os',
    execute,
    stats: () => ({
      lane: 'container',
      isolation: 'os',
      idleSandboxes: 0,
      sandboxStartupMs: undefined,
      runtimes: ['cpython', 'node'],
      unavailable: [],
    }),
    async close() {
      for (const stop of live) stop();
    },
  };
}

/** The run's folder, owned by the run's uid (as root), so its sandbox can read it. */
function chownTree(root: string, uid: number): void {
  chownSync(root, uid, uid);
  for (const folder of ['input', 'program']) chownSync(join(root, folder), uid, uid);
}

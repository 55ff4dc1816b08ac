/**
 * @module child-run
 * What the wasm lane does around one order given to a sandbox child, for a fresh run and a
 * session's alike: the hooks that carry its output, its outbound requests (through the egress
 * gateway, under the run's policy) and its tool calls, and the result made of how it ended.
 */
import type {
  EgressPolicyV1,
  ExecuteOptionsV1,
  ExecutionResult,
  Isolation,
  LaneSelection,
  Logger,
  ParsedExecutionRequest,
  SandboxToolsV1,
} from '@umca/contracts';
import { resolveLimits } from '@umca/contracts';
import type { createEgressGateway } from '@umca/policy';
import type { HttpReplyMessage, RunOrder } from '../sandbox/protocol.js';
import { checkOutputFiles } from './check-output-files.js';
import { createToolRelay } from './create-tool-relay.js';
import { interpretEnd } from './interpret-end.js';
import type { ChildEnd, RunHooks, SandboxChild } from './sandbox-child.js';

/** A run may make at most this many outbound requests. */
export const MAX_EGRESS_REQUESTS = 100;

/** What a run produced as it went: its output and its outbound requests. */
export interface RunRecordings {
  readonly output: Record<'stdout' | 'stderr', string[]>;
  readonly egress: ExecutionResult['egress'];
}

export function newRecordings(): RunRecordings {
  return { output: { stdout: [], stderr: [] }, egress: [] };
}

/** The child's order for a request: its limits resolved, and what it is shown of each tool. */
export function orderFor(request: ParsedExecutionRequest, tools: SandboxToolsV1 | undefined): RunOrder {
  const limits = resolveLimits(request.limits);
  const files = (request.files ?? []).map((file) => ({ path: file.path, content: file.content, encoding: file.encoding }));
  // What the sandbox's module shows of each tool, and nothing more.
  const offered = (tools?.tools ?? []).map(({ name, server, tool, description, inputSchema }) => ({
    name,
    server,
    tool,
    description,
    inputSchema,
  }));
  const base = {
    files,
    limits,
    budgetMs: limits.timeoutMs,
    tools: offered,
    ...(request.stdin === undefined ? {} : { stdin: request.stdin }),
  };
  if (request.language === 'wasi') {
    return { ...base, language: 'wasi', module: request.module, args: request.args ?? [], env: request.env ?? {} };
  }
  return { ...base, language: request.language, code: request.code };
}

export interface ChildHooksOptions {
  readonly order: RunOrder;
  readonly policy: EgressPolicyV1;
  readonly execute: ExecuteOptionsV1;
  readonly recordings: RunRecordings;
  readonly gateway: ReturnType<typeof createEgressGateway>;
  /** When the run's time is up (the gateway's clock). */
  readonly deadline: number;
  /** Ends the run's tool calls with it. */
  readonly calls: AbortSignal;
  readonly logger: Logger;
}

export function childHooks(options: ChildHooksOptions): RunHooks {
  const { order, policy, execute, recordings, gateway, deadline } = options;
  const { output, egress } = recordings;
  return {
    outputBytes: order.limits.outputBytes,
    onOutput(stream, text) {
      output[stream].push(text);
      execute.onOutput?.(stream, text);
    },
    async onHttp(request): Promise<HttpReplyMessage> {
      if (egress.length >= MAX_EGRESS_REQUESTS) return { error: `a run may make at most ${MAX_EGRESS_REQUESTS} outbound requests` };
      const outcome = await gateway.send(
        policy,
        { method: request.method, url: request.url, headers: request.headers, body: Buffer.from(request.body, 'base64') },
        { deadline },
      );
      egress.push(outcome.attempt);
      execute.onEgress?.(outcome.attempt);
      if (!outcome.response) return { error: outcome.error ?? 'the request failed' };
      const { status, statusText, headers, body, url } = outcome.response;
      return { status, statusText, headers, body: Buffer.from(body).toString('base64'), url };
    },
    onTool: createToolRelay({ tools: execute.tools, signal: options.calls, logger: options.logger }),
  };
}

/**
 * How a child that died ended, with the exit status the zygote reported: its word may come just
 * after the channel closed, so a death without one waits a moment for it.
 */
export async function withExitStatus(end: ChildEnd, child: Pick<SandboxChild, 'exitStatus'>): Promise<ChildEnd> {
  if (end.kind !== 'died') return end;
  if (!end.status) await new Promise((resolve) => setTimeout(resolve, 50));
  return child.exitStatus === undefined ? end : { ...end, status: child.exitStatus };
}

export interface ChildResultOptions {
  readonly end: ChildEnd;
  readonly order: RunOrder;
  readonly recordings: RunRecordings;
  readonly selection: LaneSelection;
  readonly isolation: Isolation;
  /** `now()` when the run was taken, and when it ended. */
  readonly started: number;
  readonly finished: number;
  /** Adds to the reason of an `error` (why the run went where it went). */
  readonly errorNote?: string;
}

/** The run's result, from how its child ended and what it produced; every file it reported checked again. */
export function childResult(options: ChildResultOptions): ExecutionResult {
  const { end, order, recordings, selection, isolation } = options;
  const { status, reason: ending } = interpretEnd(end, order);
  const reason = status === 'error' && options.errorNote ? `${ending} (${options.errorNote})` : ending;
  const outcome = end.kind === 'result' ? end.outcome : undefined;
  const stdout = recordings.output.stdout.join('');
  const stderr = recordings.output.stderr.join('');
  const truncated = status === 'output_limit';
  const checked = checkOutputFiles(outcome?.files ?? [], outcome?.droppedFiles);
  return {
    status,
    exitCode: outcome && status !== 'output_limit' ? outcome.exitCode : null,
    ...(reason ? { reason } : {}),
    stdout,
    stderr,
    stdoutTruncated: truncated && Buffer.byteLength(stdout) >= order.limits.outputBytes - 3,
    stderrTruncated: truncated && Buffer.byteLength(stderr) >= order.limits.outputBytes - 3,
    ...(outcome?.error ? { error: outcome.error } : {}),
    files: checked.files,
    ...(checked.droppedFiles ? { droppedFiles: checked.droppedFiles } : {}),
    egress: recordings.egress,
    lane: 'wasm',
    runtime: selection.runtime,
    selection,
    isolation,
    durationMs: options.finished - options.started,
    timings: {
      queuedMs: 0,
      executeMs: options.finished - options.started,
      ...(outcome?.programMs === undefined ? {} : { programMs: outcome.programMs }),
    },
  };
}

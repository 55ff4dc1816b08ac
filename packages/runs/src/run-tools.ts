/**
 * @module run-tools
 * The upstream MCP tools one run may call (`SandboxToolsV1`): its program's `umca_tools` module
 * and, later, its agent's tool calls go through here. Each call is checked against the caller's
 * allow-list (the policy's `upstreamTools`) and the run's call budget; a refused call is a
 * `policy.denied` event among the run's events and an error the program can catch. An allowed
 * call is a `tool.called` event (arguments and answer only when content is recorded) and a TOOL
 * span. Credentials stay in the upstream connection: nothing here sees them.
 */
import type { Context } from '@opentelemetry/api';
import type { Principal, SandboxToolReplyV1, SandboxToolsV1, UpstreamCallResult, UpstreamTool, UpstreamToolsV1 } from '@umca/contracts';
import { clip, endUpstreamToolSpan, type RunTracing, startUpstreamToolSpan } from '@umca/tracing';
import type { RunRecorder } from './run-recorder.js';

/** Calls one run may make when the server sets no other number (`--tool-calls-per-run`). */
export const DEFAULT_TOOL_CALLS_PER_RUN = 50;

/** Who may call what, as the edge decided from the caller's grant. */
export interface ToolAccess {
  /** Whether the caller's roles allow the tool (UMCA's name). */
  allows(name: string): boolean;
}

export interface RunToolsOptions {
  readonly upstream: UpstreamToolsV1;
  readonly access: ToolAccess;
  readonly runId: string;
  readonly principal?: Principal;
  readonly recorder: RunRecorder;
  readonly tracing: RunTracing;
  /** The calls the run may make, all its executions together. */
  readonly budget: number;
}

/** Which agent step calls, when an agent does (through the model's tool calls). */
export type AgentStep = 'plan' | 'code' | 'execute' | 'test';

/** One run's tools, for its program or one of its agent's steps, with spans under `parent`; one budget for all. */
export interface RunTools {
  forExecution(parent: Context): SandboxToolsV1;
  forAgent(step: AgentStep, parent: Context): SandboxToolsV1;
}

type Caller = { readonly caller: 'program' } | { readonly caller: 'agent'; readonly step: AgentStep };

type NoAnswer = Extract<SandboxToolReplyV1, { ok: false }>['code'];
const NO_ANSWER = new Set<string>(['unknown_tool', 'server_down', 'timeout', 'call_failed', 'cancelled']);

export function createRunTools(options: RunToolsOptions): RunTools {
  const { upstream, access, runId, recorder, tracing } = options;
  let calls = 0;
  let budgetReported = false;

  function refuse(name: string, rule: 'upstreamTools' | 'toolCallsPerRun', message: string): SandboxToolReplyV1 {
    recorder.publish('dev.umca.policy.denied.v1', {
      requestId: runId,
      runId,
      sub: options.principal?.sub ?? 'anonymous',
      roles: [...(options.principal?.roles ?? [])],
      tool: name,
      rule,
      message,
    });
    return { ok: false, code: rule === 'upstreamTools' ? 'denied' : 'budget_exhausted', message };
  }

  async function call(tool: UpstreamTool, args: Readonly<Record<string, unknown>>, who: Caller, parent: Context, signal: AbortSignal) {
    const started = performance.now();
    const argumentsJson = JSON.stringify(args);
    const span = startUpstreamToolSpan(tracing, parent, {
      name: tool.name,
      server: tool.server,
      caller: who.caller,
      arguments: argumentsJson,
    });
    let reply: SandboxToolReplyV1;
    let outcome: string;
    let answer: string | undefined;
    try {
      const result: UpstreamCallResult = await upstream.call(tool.name, args, { signal });
      reply = { ok: true, text: result.text, ...(result.structured ? { structured: result.structured } : {}), isError: result.isError };
      outcome = result.isError ? 'tool_error' : 'ok';
      answer = result.structured ? JSON.stringify(result.structured) : result.text;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const noAnswer: NoAnswer = typeof code === 'string' && NO_ANSWER.has(code) ? (code as NoAnswer) : 'call_failed';
      reply = { ok: false, code: noAnswer, message: error instanceof Error ? error.message : String(error) };
      outcome = noAnswer;
    }
    const durationMs = performance.now() - started;
    const message = reply.ok ? (reply.isError ? clip(reply.text) : undefined) : reply.message;
    endUpstreamToolSpan(tracing, span, { outcome, ...(message ? { message } : {}), ...(answer === undefined ? {} : { result: answer }) });
    recorder.flushOutput(); // what the program printed before the call comes before it
    recorder.publish('dev.umca.tool.called.v1', {
      runId,
      name: tool.name,
      server: tool.server,
      tool: tool.tool,
      ...who,
      outcome: outcome as 'ok',
      durationMs,
      ...(message ? { message } : {}),
      ...(tracing.recordContent ? { arguments: { ...args } } : {}),
      ...(tracing.recordContent && answer !== undefined ? { result: clip(answer) } : {}),
    });
    return reply;
  }

  function toolsFor(who: Caller, parent: Context): SandboxToolsV1 {
    return {
      // What the program's module offers: the tools the caller may call, of the servers up now
      // (the runner passes on only what a program sees of each).
      tools: upstream.tools().filter((tool) => access.allows(tool.name)),
      async call(name, args, signal) {
        // Every attempt counts, refused ones too, so a program cannot flood the event log; past
        // the budget, the first refusal is an event and the rest are only errors.
        if (calls >= options.budget) {
          const message = `this run has made all the ${options.budget} upstream tool calls a run may make (the server's --tool-calls-per-run)`;
          if (budgetReported) return { ok: false, code: 'budget_exhausted', message };
          budgetReported = true;
          return refuse(name, 'toolCallsPerRun', message);
        }
        calls++;
        if (!access.allows(name)) {
          return refuse(
            name,
            'upstreamTools',
            `this run may not call the upstream tool ${JSON.stringify(name)}: the caller's roles do not allow it (the policy's upstreamTools)`,
          );
        }
        const tool = upstream.tools().find((known) => known.name === name);
        if (!tool)
          return {
            ok: false,
            code: 'unknown_tool',
            message: `there is no upstream tool ${name} on a server that is up (the servers that are up list their tools at GET /v1/tools)`,
          };
        return call(tool, args, who, parent, signal);
      },
    };
  }

  return {
    forExecution: (parent) => toolsFor({ caller: 'program' }, parent),
    forAgent: (step, parent) => toolsFor({ caller: 'agent', step }, parent),
  };
}

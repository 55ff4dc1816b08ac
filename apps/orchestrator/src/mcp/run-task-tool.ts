/**
 * @module run-task-tool
 * The MCP tool `run_task`: the agent flow (plan, write, run, check). Each step is a progress
 * notification and a logging message. Without a model argument it uses the server's default
 * model or, when the client offers sampling and the operator allows it, the client's own model.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { MAX_LIMITS, MIN_LIMITS, taskResultSchema } from '@umca/contracts';
import { createSamplingModel } from '@umca/models';
import { acceptTaskRequest } from '@umca/policy';
import { followRun, type RunService } from '@umca/runs';
import { z } from 'zod';
import { submitTaskAs } from '../auth/submit-as.js';
import { asText, grantOf, loggingIgnored, optional, refusalAsToolError, relayOutput, type ToolDeps, toolError } from './tool-support.js';

const STEP_LABELS = { plan: 'planning', code: 'writing code', execute: 'running the code', test: 'checking' } as const;

const runTaskInput = {
  task: z.string().min(1).max(20_000).describe('What the program should do, in plain words.'),
  model: optional(
    z
      .string()
      .min(1)
      .max(1_000)
      .describe('provider:model, e.g. qwen:qwen-max or local:/path/model.gguf; "sampling" for this client\'s model.'),
  ),
  language: optional(z.enum(['python', 'javascript']).describe('Default python.')),
  maxIterations: optional(z.coerce.number().int().min(1).max(10).describe('Coder/tester rounds at most (default 3).')),
  maxTokens: optional(
    z.coerce
      .number()
      .int()
      .min(16)
      .max(32_768)
      .describe('Most tokens the model may write in one call: the plan, each program (default 1024).'),
  ),
  allowedOutboundHosts: optional(z.array(z.string()).max(100).describe('Hosts the code may reach, Spin syntax. Absent: no network.')),
  timeoutMs: optional(
    z.coerce.number().int().min(MIN_LIMITS.timeoutMs).max(MAX_LIMITS.timeoutMs).describe('Limit for each run of the code, in ms.'),
  ),
};

export interface RunTaskToolOptions extends ToolDeps {
  /** Whether the client's own model may be used (sampling). */
  allowSampling: boolean;
  /** The server's default model; without one, run_task uses sampling when it can. */
  defaultModel?: string;
}

/** Why run_task has no model here (called only when the client's model cannot be used), and the three ways to give it one. */
function noModelMessage(samplingAllowed: boolean): string {
  return (
    'run_task needs a model and none is set. Pass "model" (provider:model, e.g. qwen:qwen-max, ollama:qwen2.5-coder:7b or ' +
    'local:/path/model.gguf); or start UMCA with a default model (umca serve --model, umca mcp --model, or UMCA_MODEL); ' +
    'or call from an MCP client that offers sampling, which lends UMCA its own model' +
    (samplingAllowed
      ? ': this client does not offer it.'
      : ', where the operator allows it: this server does not (UMCA_MCP_SAMPLING=deny).')
  );
}

export function registerRunTaskTool(server: McpServer, options: RunTaskToolOptions): void {
  server.registerTool(
    'run_task',
    {
      title: 'Write, run and check code for a task',
      description:
        "An agent flow: a planner turns the task into a plan and acceptance checks, a coder writes a Python or JavaScript program, the sandbox runs it with the checks, a tester judges, and on failure the coder tries again with the evidence (up to maxIterations). Progress is reported per step. Returns the final code, its output, the checks, a verdict (pass or fail) and every round. Without a model argument it uses the server default, or this client's own model through sampling when the client offers it.",
      inputSchema: runTaskInput,
      outputSchema: taskResultSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    async (args, extra) => {
      const clientSamples = Boolean(server.server.getClientCapabilities()?.sampling);
      const contextModels =
        options.allowSampling && clientSamples
          ? { sampling: createSamplingModel((request, { signal }) => server.server.createMessage(request, signal ? { signal } : {})) }
          : undefined;
      if (!args.model && !options.defaultModel && !contextModels) {
        return toolError({ message: noModelMessage(options.allowSampling) });
      }
      let submitted: Awaited<ReturnType<RunService['submitTask']>>;
      try {
        submitted = await submitTaskAs(
          options,
          grantOf(extra),
          acceptTaskRequest({
            task: args.task,
            ...(args.model ? { model: args.model } : {}),
            ...(args.language ? { language: args.language } : {}),
            ...(args.maxIterations ? { maxIterations: args.maxIterations } : {}),
            ...(args.maxTokens ? { maxTokens: args.maxTokens } : {}),
            ...(args.allowedOutboundHosts ? { allowedOutboundHosts: args.allowedOutboundHosts } : {}),
            ...(args.timeoutMs ? { limits: { timeoutMs: args.timeoutMs } } : {}),
          }),
          {
            ...(contextModels ? { contextModels } : {}),
            ...(!options.defaultModel && contextModels ? { preferredModel: 'sampling' } : {}),
          },
        );
      } catch (error) {
        return refusalAsToolError(options, extra, error);
      }
      const progressToken = extra._meta?.progressToken;
      const total = 1 + 3 * (args.maxIterations ?? 3);
      let stepsDone = 0;
      const result = await followRun(options, submitted, extra.signal, async (event) => {
        await relayOutput(server, event, extra);
        if (event.type === 'dev.umca.step.started.v1' && progressToken !== undefined) {
          const round = event.data.iteration > 0 ? ` (round ${event.data.iteration})` : '';
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress: stepsDone, total, message: `${STEP_LABELS[event.data.step]}${round}` },
          });
        }
        if (event.type === 'dev.umca.step.ended.v1') {
          stepsDone++;
          if (!loggingIgnored(server, 'info', extra.sessionId)) {
            const round = event.data.iteration ? ` #${event.data.iteration}` : '';
            await extra.sendNotification({
              method: 'notifications/message',
              params: {
                level: 'info',
                logger: 'umca.task',
                data: `${event.data.step}${round}: ${event.data.outcome}${event.data.summary ? `, ${event.data.summary}` : ''}`,
              },
            });
          }
        }
      });
      return { structuredContent: result, content: asText(result) };
    },
  );
}

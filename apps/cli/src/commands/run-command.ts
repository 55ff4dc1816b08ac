/**
 * @module run-command
 * `umca run "TASK"`: an agent flow from the terminal. When a UMCA server is reachable (--server,
 * UMCA_SERVER, or one on 127.0.0.1:8787) the task runs there, so its events arrive on the
 * server's streams too; otherwise it runs in this process on the same data directory.
 */

import { createClient, UmcaApiError, UmcaClientError } from '@umca/client';
import { DEFAULT_LIMITS, MAX_LIMITS, MIN_LIMITS, type TaskResult, UmcaError, type UmcaEvent } from '@umca/contracts';
import { ConfigError, checkModelSettings, openService } from '@umca/orchestrator';
import type { AcceptedTask } from '@umca/policy';
import { RunnerError } from '@umca/runner';
import { followRun } from '@umca/runs';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';
import { type BuiltTask, buildTaskRequest, type RunFlags } from './build-task-request.js';
import { createTaskProgress } from './task-progress.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const DEFAULT_SERVER = 'http://127.0.0.1:8787';
const EXIT_CODES = { pass: 0, fail: 1, unverified: 3 } as const;
const MODEL_EXAMPLES = 'provider:model, e.g. qwen:qwen-max, ollama:qwen2.5-coder:7b or local:/path/model.gguf';

class RunCancelled extends Error {}
/** Something went wrong after the task was handed over (exit 1), as opposed to a refusal (exit 2). */
class RunFailed extends Error {}

interface ChosenServer {
  readonly url: string;
  /** How it was chosen, for messages: given with --server, from UMCA_SERVER, or the default address. */
  readonly by: string;
}

async function reachable(url: string): Promise<boolean> {
  try {
    await createClient({ baseUrl: url }).readiness({ signal: AbortSignal.timeout(400) });
    return true;
  } catch {
    return false;
  }
}

async function chooseServer(flags: RunFlags): Promise<ChosenServer | undefined> {
  if (flags.embedded) return undefined;
  if (flags.server) return { url: flags.server, by: 'given with --server' };
  if (process.env.UMCA_SERVER) return { url: process.env.UMCA_SERVER, by: 'from UMCA_SERVER' };
  return (await reachable(DEFAULT_SERVER)) ? { url: DEFAULT_SERVER, by: 'the default address, which answered' } : undefined;
}

/** The task on a server, through the client: its events live, a dropped stream resumed exactly. */
async function runOnServer(
  server: ChosenServer,
  { request }: AcceptedTask,
  onEvent: (event: UmcaEvent) => void,
  signal: AbortSignal,
): Promise<TaskResult> {
  const client = createClient({ baseUrl: server.url.replace(/\/$/, '') });
  try {
    return await client.runTask(request, { onEvent: (event) => onEvent(event), signal });
  } catch (error) {
    // Cancelled here (Ctrl-C): the client has asked the server to cancel the run; report the run as it ended.
    if (signal.aborted) throw new RunCancelled();
    if (error instanceof UmcaApiError && error.issues.some((issue) => issue.path[0] === 'model') && !request.model) {
      throw new UsageError(
        `the server at ${server.url} (${server.by}) has no default model and none was named: name one with --model (${MODEL_EXAMPLES}) or UMCA_MODEL, start that server with --model, or run the task here with --embedded --model ...`,
      );
    }
    if (error instanceof UmcaApiError && error.status >= 500) throw new RunFailed(`the server at ${server.url} failed: ${error.message}`);
    if (error instanceof UmcaClientError && error.code === 'server_unreachable') {
      throw new UsageError(
        `no UMCA server answered at ${server.url} (${server.by}): start one there with umca serve, fix the address, or run the task here with --embedded`,
      );
    }
    if (error instanceof UmcaClientError)
      throw new UsageError(`the server at ${server.url} (${server.by}) refused the task: ${error.message}`);
    throw error;
  }
}

/** In this process: the model is checked before the data directory is opened, so a refusal leaves nothing behind. */
async function runEmbedded(
  flags: RunFlags,
  { accepted, sources }: BuiltTask,
  onEvent: (event: UmcaEvent) => void,
  signal: AbortSignal,
): Promise<TaskResult> {
  const { model, fallbackModels } = accepted.request;
  if (!model) {
    throw new UsageError(
      `no model to plan and write the code: name one with --model (${MODEL_EXAMPLES}) or set UMCA_MODEL; or run the task on a UMCA server that has a default model, with --server URL${flags.embedded ? '' : ` (none answered at ${DEFAULT_SERVER})`}`,
    );
  }
  try {
    checkModelSettings({ model, ...(fallbackModels ? { fallbackModels } : {}) }, process.env, {
      model: sources.model ?? '--model',
      fallbackModels: sources.fallbackModels,
    });
  } catch (error) {
    throw error instanceof ConfigError ? new UsageError(error.message) : error;
  }
  // A `umca serve` may run on the same data directory: its runs in progress are not ours to end.
  const service = await openService(
    {
      dataDir: flags.dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca',
      ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
    },
    { recoverInterrupted: false },
  ).catch((error) => {
    throw error instanceof RunnerError ? new RunFailed(error.message) : error;
  });
  try {
    const submitted = await service.runs.submitTask(accepted).catch((error) => {
      throw error instanceof UmcaError ? new UsageError(error.message) : error;
    });
    return await followRun(service, submitted, signal, onEvent);
  } finally {
    await service.close();
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('Plan, write, run and check code for a task with a model (agent flow)')
    .argument('<task>', 'what the program should do, in plain words')
    .option(
      '-m, --model <provider:model>',
      "e.g. qwen:qwen-max, deepseek:deepseek-chat, ollama:qwen2.5-coder:7b, local:/path/model.gguf (default UMCA_MODEL; without either, a server's own default)",
    )
    .option(
      '--fallback <provider:model>',
      'a model to try when the first fails (repeatable; default UMCA_MODEL_FALLBACKS with UMCA_MODEL)',
      collect,
      [],
    )
    .option('-l, --language <language>', 'python (default) or javascript')
    .option('--max-iterations <n>', 'coder/tester rounds at most, 1 to 10 (default 3)')
    .option('--max-tokens <n>', 'most tokens the model may write in one call (the plan, each program), 16 to 32768 (default 1024)')
    .option('--allow-host <pattern>', 'hosts the code may reach, Spin syntax (repeatable)', collect, [])
    .option(
      '--timeout-ms <ms>',
      `limit for each run of the code, ${MIN_LIMITS.timeoutMs} to ${MAX_LIMITS.timeoutMs} (default ${DEFAULT_LIMITS.timeoutMs})`,
    )
    .option('--json', 'print exactly one JSON object at the end: the task result')
    .option('--server <url>', `run on this UMCA server (default UMCA_SERVER, or ${DEFAULT_SERVER} when it answers)`)
    .option('--embedded', 'run in this process even if a server is reachable')
    .option('--data-dir <dir>', 'for an embedded run: where runs and events are kept (default .umca)')
    .option('--allow-reduced-isolation', 'for an embedded run: run even without bubblewrap')
    .addHelpText(
      'after',
      '\nExit status: 0 the checks passed; 1 they did not, a step failed, or the run broke off (the sandbox could not start, the server failed); 2 refused before anything ran (a bad flag, no usable model, a server that refused the task or did not answer): nothing is recorded; 3 the program ran but no check tested it (unverified); 130 cancelled.',
    )
    .action(async (task: string, flags: RunFlags) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const progress = flags.json ? () => {} : createTaskProgress((text) => process.stderr.write(text), Boolean(process.stderr.isTTY));
      try {
        const built = buildTaskRequest(task, flags);
        const server = await chooseServer(flags);
        if (server && !flags.json) process.stderr.write(`umca: running on ${server.url}\n`);
        const result = server
          ? await runOnServer(server, built.accepted, progress, controller.signal)
          : await runEmbedded(flags, built, progress, controller.signal);
        if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          process.stdout.write(`${result.code}\n`);
          process.stderr.write(
            `umca: ${result.verdict} after ${result.iterations.length} round(s), ${result.usage.promptTokens + result.usage.completionTokens} tokens, run ${result.runId}${result.reason ? `: ${result.reason}` : ''}\n`,
          );
        }
        process.exitCode = result.status === 'cancelled' ? 130 : EXIT_CODES[result.verdict];
      } catch (error) {
        if (error instanceof RunCancelled) {
          process.stderr.write('umca: cancelled; the server ends the run\n');
          process.exitCode = 130;
          return;
        }
        if (!(error instanceof UsageError) && !(error instanceof RunFailed)) throw error;
        process.stderr.write(`umca: ${error.message}\n`);
        process.exitCode = error instanceof UsageError ? 2 : 1;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}

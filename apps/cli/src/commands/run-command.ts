/**
 * @module run-command
 * `umca run "TASK"`: an agent flow from the terminal. When a UMCA server is reachable (--server,
 * UMCA_SERVER, or one on 127.0.0.1:8787) the task runs there, so its events arrive on the
 * server's streams too; otherwise it runs in this process on the same data directory.
 */

import { createClient, UmcaClientError } from '@umca/client';
import { type TaskRequest, type TaskResult, UmcaError, type UmcaEvent } from '@umca/contracts';
import { ConfigError, modelSettingsFromEnvironment, openService } from '@umca/orchestrator';
import { type AcceptedTask, acceptTaskRequest } from '@umca/policy';
import { followRun } from '@umca/runs';
import type { Command } from 'commander';
import { createTaskProgress } from './task-progress.js';

const collect = (value: string, previous: string[]) => [...previous, value];
const DEFAULT_SERVER = 'http://127.0.0.1:8787';
const EXIT_CODES = { pass: 0, fail: 1, unverified: 3 } as const;

interface RunFlags {
  model?: string;
  fallback: string[];
  language?: string;
  maxIterations?: string;
  allowHost: string[];
  timeoutMs?: string;
  json?: boolean;
  server?: string;
  embedded?: boolean;
  dataDir?: string;
  allowReducedIsolation?: boolean;
}

class UsageProblem extends Error {}
class RunCancelled extends Error {}

function buildRequest(task: string, flags: RunFlags): AcceptedTask {
  const number = (value: string | undefined, flag: string) => {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new UsageProblem(`${flag} takes a whole number, not ${JSON.stringify(value)}`);
    return Number(value);
  };
  const request: TaskRequest = {
    task,
    ...(flags.model ? { model: flags.model } : {}),
    ...(flags.fallback.length ? { fallbackModels: flags.fallback } : {}),
    ...(flags.language ? { language: flags.language as 'python' } : {}),
    ...(flags.maxIterations ? { maxIterations: number(flags.maxIterations, '--max-iterations') } : {}),
    ...(flags.allowHost.length ? { allowedOutboundHosts: flags.allowHost } : {}),
    ...(flags.timeoutMs ? { limits: { timeoutMs: number(flags.timeoutMs, '--timeout-ms') } } : {}),
  };
  try {
    return acceptTaskRequest(request);
  } catch (error) {
    if (error instanceof UmcaError) throw new UsageProblem(error.message);
    throw error;
  }
}

async function reachable(url: string): Promise<boolean> {
  try {
    await createClient({ baseUrl: url }).readiness({ signal: AbortSignal.timeout(400) });
    return true;
  } catch {
    return false;
  }
}

/** The task on a server, through the client: its events live, a dropped stream resumed exactly. */
async function runOnServer(
  server: string,
  { request }: AcceptedTask,
  onEvent: (event: UmcaEvent) => void,
  signal: AbortSignal,
): Promise<TaskResult> {
  const client = createClient({ baseUrl: server });
  try {
    return await client.runTask(request, { onEvent: (event) => onEvent(event), signal });
  } catch (error) {
    // Cancelled here (Ctrl-C): the client has asked the server to cancel the run; report the run as it ended.
    if (signal.aborted) throw new RunCancelled();
    if (error instanceof UmcaClientError) throw new UsageProblem(error.message);
    throw error;
  }
}

async function runEmbedded(
  flags: RunFlags,
  task: AcceptedTask,
  onEvent: (event: UmcaEvent) => void,
  signal: AbortSignal,
): Promise<TaskResult> {
  const open = openService({
    dataDir: flags.dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca',
    ...(flags.allowReducedIsolation ? { allowReducedIsolation: true } : {}),
    ...modelSettingsFromEnvironment(),
  });
  const service = await open.catch((error) => {
    throw error instanceof ConfigError ? new UsageProblem(error.message) : error;
  });
  try {
    const submitted = await service.runs.submitTask(task).catch((error) => {
      throw error instanceof UmcaError ? new UsageProblem(error.message) : error;
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
      'e.g. qwen:qwen-max, deepseek:deepseek-chat, ollama:qwen2.5-coder:7b, local:/path/model.gguf (default UMCA_MODEL)',
    )
    .option('--fallback <provider:model>', 'a model to try when the first fails (repeatable)', collect, [])
    .option('-l, --language <language>', 'python (default) or javascript')
    .option('--max-iterations <n>', 'coder/tester rounds at most (default 3)')
    .option('--allow-host <pattern>', 'hosts the code may reach, Spin syntax (repeatable)', collect, [])
    .option('--timeout-ms <ms>', 'limit for each run of the code')
    .option('--json', 'print exactly one JSON object at the end: the task result')
    .option('--server <url>', `run on this UMCA server (default UMCA_SERVER, or ${DEFAULT_SERVER} when it answers)`)
    .option('--embedded', 'run in this process even if a server is reachable')
    .option('--data-dir <dir>', 'for an embedded run: where runs and events are kept (default .umca)')
    .option('--allow-reduced-isolation', 'for an embedded run: run even without bubblewrap')
    .addHelpText(
      'after',
      '\nExit status: 0 when the checks passed; 1 when they did not or a step failed; 2 bad input; 3 the program ran but there were no checks to verify it (unverified); 130 cancelled.',
    )
    .action(async (task: string, flags: RunFlags) => {
      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const progress = flags.json ? () => {} : createTaskProgress((text) => process.stderr.write(text), Boolean(process.stderr.isTTY));
      try {
        const request = buildRequest(task, flags);
        const explicit = flags.server ?? process.env.UMCA_SERVER;
        const server = flags.embedded ? undefined : (explicit ?? ((await reachable(DEFAULT_SERVER)) ? DEFAULT_SERVER : undefined));
        if (server && !flags.json) process.stderr.write(`umca: running on ${server}\n`);
        const result = server
          ? await runOnServer(server.replace(/\/$/, ''), request, progress, controller.signal)
          : await runEmbedded(flags, request, progress, controller.signal);
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
        if (!(error instanceof UsageProblem)) throw error;
        process.stderr.write(`umca: ${error.message}\n`);
        process.exitCode = 2;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}

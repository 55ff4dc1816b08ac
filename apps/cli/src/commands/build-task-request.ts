/**
 * @module build-task-request
 * Turns `umca run` arguments into an accepted task request, before anything is opened or sent:
 * every problem is a UsageError in the words of the command line (the flag, what was given, the
 * range allowed). UMCA_MODEL and UMCA_MODEL_FALLBACKS stand in for --model and --fallback, on a
 * server as in this process.
 */
import { MAX_LIMITS, MIN_LIMITS, type TaskRequest, taskRequestSchema } from '@umca/contracts';
import { type AcceptedTask, acceptTaskRequest } from '@umca/policy';
import { checkAllowHostFlags } from '../check-allow-host-flags.js';
import { rethrowInFlags } from '../flag-problems.js';
import { wholeNumberFlag } from '../whole-number-flag.js';

export interface RunFlags {
  model?: string;
  fallback: string[];
  language?: string;
  maxIterations?: string;
  maxTokens?: string;
  allowHost: string[];
  timeoutMs?: string;
  json?: boolean;
  server?: string;
  embedded?: boolean;
  dataDir?: string;
  allowReducedIsolation?: boolean;
}

/** Where the model settings of a task came from, as the user wrote them. */
export interface ModelSources {
  /** `--model`, `UMCA_MODEL`, or undefined when no model was named. */
  readonly model?: string;
  readonly fallbackModels: string;
}

export interface BuiltTask {
  readonly accepted: AcceptedTask;
  readonly sources: ModelSources;
}

const ITERATIONS = taskRequestSchema.shape.maxIterations.unwrap();
const TOKENS = taskRequestSchema.shape.maxTokens.unwrap();

function commaList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** Builds and accepts the task; throws UsageError naming the flag for anything the caller must fix. */
export function buildTaskRequest(task: string, flags: RunFlags, env: NodeJS.ProcessEnv = process.env): BuiltTask {
  const maxIterations = wholeNumberFlag(flags.maxIterations, '--max-iterations', {
    min: ITERATIONS.minValue ?? 1,
    max: ITERATIONS.maxValue ?? Number.MAX_SAFE_INTEGER,
  });
  const maxTokens = wholeNumberFlag(flags.maxTokens, '--max-tokens', {
    min: TOKENS.minValue ?? 1,
    max: TOKENS.maxValue ?? Number.MAX_SAFE_INTEGER,
  });
  const timeoutMs = wholeNumberFlag(flags.timeoutMs, '--timeout-ms', {
    min: MIN_LIMITS.timeoutMs,
    max: MAX_LIMITS.timeoutMs,
    unit: 'ms',
  });
  checkAllowHostFlags(flags.allowHost);
  const environmentModel = env.UMCA_MODEL?.trim() || undefined;
  const model = flags.model ?? environmentModel;
  // As on a server: fallbacks from the environment go with the environment's model only.
  const environmentFallbacks = flags.model === undefined && environmentModel ? commaList(env.UMCA_MODEL_FALLBACKS) : [];
  const fallbackModels = flags.fallback.length > 0 ? flags.fallback : environmentFallbacks;
  const sources: ModelSources = {
    ...(model === undefined ? {} : { model: flags.model === undefined ? 'UMCA_MODEL' : '--model' }),
    fallbackModels: flags.fallback.length > 0 ? '--fallback' : 'UMCA_MODEL_FALLBACKS',
  };
  const request: TaskRequest = {
    task,
    ...(model === undefined ? {} : { model }),
    ...(fallbackModels.length > 0 ? { fallbackModels } : {}),
    ...(flags.language === undefined ? {} : { language: flags.language as TaskRequest['language'] }),
    ...(maxIterations === undefined ? {} : { maxIterations }),
    ...(maxTokens === undefined ? {} : { maxTokens }),
    ...(flags.allowHost.length > 0 ? { allowedOutboundHosts: flags.allowHost } : {}),
    ...(timeoutMs === undefined ? {} : { limits: { timeoutMs } }),
  };
  try {
    return { accepted: acceptTaskRequest(request), sources };
  } catch (error) {
    return rethrowInFlags(error, ([field, index]) => {
      const given = (values: readonly string[]) =>
        typeof index === 'number' && values[index] !== undefined ? ` ${JSON.stringify(values[index])}` : '';
      switch (field) {
        case 'task':
          return 'the task';
        case 'model':
          return `${sources.model ?? '--model'} ${JSON.stringify(model)}`;
        case 'fallbackModels':
          return `${sources.fallbackModels}${given(fallbackModels)}`;
        case 'language':
          return `--language ${JSON.stringify(flags.language)}`;
        case 'allowedOutboundHosts':
          return `--allow-host${given(flags.allowHost)}`;
        default:
          return undefined;
      }
    });
  }
}

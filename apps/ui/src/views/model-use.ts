/**
 * @module model-use
 * How much a task used its models, in one line. A task's result counts only the calls a model
 * answered; the run's `model.called` events also tell the ones that failed (and the fallbacks
 * tried inside one call), so the page counts from them when it has them: a task whose only call
 * failed reads "1 call tried, 1 failed", not "0 calls".
 */
import type { TaskResult, UmcaEventData } from '@umca/contracts';
import { formatMs } from '../dom.js';

export type ModelCall = UmcaEventData<'dev.umca.model.called.v1'>;

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * "3 calls tried, 1 failed · 120 prompt + 40 completion tokens · 1.20 s". Without the events
 * (`calls` undefined: they have not all arrived yet) it says it is counting rather than guess.
 */
export function describeModelUse(usage: TaskResult['usage'], calls: readonly ModelCall[] | undefined): string {
  if (calls === undefined) return 'counting…';
  // Each event is one call of the flow; `attempts` counts the models it tried, fallbacks
  // included, and every attempt but the one that answered failed.
  const tried = calls.reduce((sum, call) => sum + call.attempts, 0);
  const failed = calls.reduce((sum, call) => sum + (call.error ? call.attempts : call.attempts - 1), 0);
  const counted =
    tried > 0
      ? `${plural(tried, 'call')} tried, ${failed ? `${failed} failed` : 'none failed'}`
      : usage.calls > 0
        ? `${plural(usage.calls, 'call')} answered`
        : 'no model calls';
  const tokens = `${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens`;
  return usage.calls > 0 ? `${counted} · ${tokens} · ${formatMs(usage.latencyMs)}` : counted;
}

/**
 * `umca run`'s flags becoming a task request, in process: refusals name the flag and the range,
 * and UMCA_MODEL (with UMCA_MODEL_FALLBACKS) stands in for --model, so a task sent to a server
 * carries the model this shell was told to use.
 */
import { MAX_LIMITS } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { buildTaskRequest, type RunFlags } from '../src/commands/build-task-request.js';

const flags = (more: Partial<RunFlags> = {}): RunFlags => ({ fallback: [], allowHost: [], ...more });

function refusal(more: Partial<RunFlags>, env: NodeJS.ProcessEnv = {}): string {
  try {
    buildTaskRequest('write add(a, b)', flags(more), env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the task was accepted');
}

describe('umca run refuses', () => {
  it.each<[string, Partial<RunFlags>, string]>([
    ['--max-iterations out of range', { maxIterations: '11' }, '--max-iterations takes a whole number from 1 to 10, not "11"'],
    ['--max-iterations that is not a number', { maxIterations: 'many' }, '--max-iterations takes a whole number from 1 to 10, not "many"'],
    ['--max-tokens below the floor', { maxTokens: '8' }, '--max-tokens takes a whole number from 16 to 32768, not "8"'],
    ['--max-tokens that is not a number', { maxTokens: '1k' }, '--max-tokens takes a whole number from 16 to 32768, not "1k"'],
    ['--timeout-ms out of range', { timeoutMs: '0' }, `--timeout-ms takes a whole number of ms from 1 to ${MAX_LIMITS.timeoutMs}, not "0"`],
    ['an unknown --language', { language: 'cobol' }, '--language "cobol" must be one of: python, javascript'],
    ['a malformed --allow-host', { allowHost: ['example.com'] }, '--allow-host "example.com" has no scheme'],
    ['an empty --model', { model: '' }, '--model "" is too short'],
    [
      'too many --fallback',
      { model: 'ollama:a', fallback: Array.from({ length: 9 }, () => 'ollama:b') },
      '--fallback is given too many times: at most 8',
    ],
  ])('%s, naming the flag', (_, more, message) => {
    const text = refusal(more);
    expect(text).toContain(message);
    expect(text).not.toMatch(/limits\.|maxIterations|maxTokens|allowedOutboundHosts|fallbackModels|Too (big|small)/);
  });

  it('a bad UMCA_MODEL_FALLBACKS under its own name', () => {
    const many = Array.from({ length: 9 }, () => 'ollama:b').join(',');
    expect(refusal({}, { UMCA_MODEL: 'ollama:a', UMCA_MODEL_FALLBACKS: many })).toContain('UMCA_MODEL_FALLBACKS is given too many times');
  });
});

describe('the budget of a task', () => {
  it('carries --max-tokens and --max-iterations into the request', () => {
    const { accepted } = buildTaskRequest('t', flags({ maxTokens: '256', maxIterations: '2' }), {});
    expect(accepted.request).toMatchObject({ maxTokens: 256, maxIterations: 2 });
  });

  it('is 1024 tokens a call when --max-tokens is absent', () => {
    expect(buildTaskRequest('t', flags(), {}).accepted.request.maxTokens).toBe(1_024);
  });
});

describe('the model of a task', () => {
  it('is --model, with --fallback', () => {
    const { accepted, sources } = buildTaskRequest('t', flags({ model: 'ollama:a', fallback: ['ollama:b'] }), { UMCA_MODEL: 'ollama:env' });
    expect(accepted.request).toMatchObject({ model: 'ollama:a', fallbackModels: ['ollama:b'] });
    expect(sources).toEqual({ model: '--model', fallbackModels: '--fallback' });
  });

  it('is UMCA_MODEL with UMCA_MODEL_FALLBACKS when --model is absent', () => {
    const { accepted, sources } = buildTaskRequest('t', flags(), { UMCA_MODEL: 'ollama:env', UMCA_MODEL_FALLBACKS: 'ollama:x, ollama:y' });
    expect(accepted.request).toMatchObject({ model: 'ollama:env', fallbackModels: ['ollama:x', 'ollama:y'] });
    expect(sources).toEqual({ model: 'UMCA_MODEL', fallbackModels: 'UMCA_MODEL_FALLBACKS' });
  });

  it('takes no fallbacks from the environment for a model named with --model', () => {
    const { accepted } = buildTaskRequest('t', flags({ model: 'ollama:a' }), {
      UMCA_MODEL: 'ollama:env',
      UMCA_MODEL_FALLBACKS: 'ollama:x',
    });
    expect(accepted.request.fallbackModels).toBeUndefined();
  });

  it('is left to the server when neither is given', () => {
    const { accepted, sources } = buildTaskRequest('t', flags(), {});
    expect(accepted.request.model).toBeUndefined();
    expect(sources.model).toBeUndefined();
  });
});

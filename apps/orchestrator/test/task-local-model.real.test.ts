/**
 * End to end with a real model and no test double: a task through POST /v1/tasks, planned and
 * written by SmolLM2-135M-Instruct running in the server's process (the local provider), run in
 * the real sandbox, every step on the event stream. The model is tiny, so whether its program
 * passes is not asserted; that the flow completes with real tokens and honest events is.
 */

import { createClient } from '@umca/client';
import type { UmcaEvent } from '@umca/contracts';
import { describe, expect, it } from 'vitest';
import { testGguf } from '../../../packages/models/test/support/test-gguf.js';
import { useServer } from './support/use-server.js';

const model = `local:${testGguf()}`;
const server = useServer({ config: { model } });

describe('a task with a real local model', () => {
  it('plans, writes, runs and judges code, reporting real token counts', async () => {
    const response = await fetch(`${server().url}/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // The model's work is bounded by rounds and tokens, so the test ends however busy the machine is.
      body: JSON.stringify({
        task: 'Write a Python function add(a, b) that returns a + b, and print add(2, 3).',
        maxIterations: 1,
        maxTokens: 128,
      }),
    });
    expect(response.status).toBe(200);
    const result = await response.json();
    expect(['pass', 'fail', 'unverified']).toContain(result.verdict);
    expect(result.models).toEqual([model]);
    expect(result.usage.calls).toBeGreaterThanOrEqual(2);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(result.iterations).toHaveLength(1);
    expect(result.code.length).toBeGreaterThan(0);

    const events: UmcaEvent[] = [];
    for await (const { event } of createClient({ baseUrl: server().url }).followRun(result.runId)) events.push(event);
    const calls = events.filter((event) => event.type === 'dev.umca.model.called.v1');
    expect(calls.length).toBe(result.usage.calls);
    for (const call of calls) expect(call.data).toMatchObject({ model, completionTokens: expect.any(Number), attempts: 1 });
    expect(events.some((event) => event.type === 'dev.umca.code.executed.v1')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'dev.umca.run.ended.v1', data: { status: result.status } });
    // Bounded by work (one round, at most three calls of 128 tokens), not by a stopwatch; the
    // limit below only stops a hung test.
  }, 300_000);
});

import { describe, expect, it } from 'vitest';
import { executionRequestSchema, executionResultSchema, resolveLimits, toJsonSchemas } from '../src/index.js';

describe('umca.execution.request.v1', () => {
  it('accepts the minimal request of each language', () => {
    expect(executionRequestSchema.safeParse({ language: 'python', code: 'print(1)' }).success).toBe(true);
    expect(executionRequestSchema.safeParse({ language: 'javascript', code: 'console.log(1)' }).success).toBe(true);
    expect(executionRequestSchema.safeParse({ language: 'wasi', module: 'AGFzbQEAAAA=' }).success).toBe(true);
  });

  it.each([
    [{ language: 'ruby', code: 'puts 1' }, 'language'],
    [{ language: 'python' }, 'code'],
    [{ language: 'python', code: 'x', limits: { timeoutMs: 0 } }, 'timeoutMs'],
    [{ language: 'python', code: 'x', limits: { timeoutMs: 10_000_000 } }, 'timeoutMs'],
    [{ language: 'python', code: 'x', limits: { cpu: 1 } }, 'cpu'],
    [{ language: 'python', code: 'x', files: [{ path: '../etc/passwd', content: '' }] }, 'relative path'],
    [{ language: 'python', code: 'x', files: [{ path: '/abs', content: '' }] }, 'relative path'],
    [{ language: 'python', code: 'x', surprise: true }, 'surprise'],
    [{ language: 'wasi', module: 'not base64!' }, 'module'],
  ])('refuses %j and names the problem', (request, fragment) => {
    const parsed = executionRequestSchema.safeParse(request);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain(fragment);
  });

  it('fills in default limits', () => {
    expect(resolveLimits(undefined)).toEqual({ timeoutMs: 10_000, memoryMb: 256, outputBytes: 1_048_576 });
    expect(resolveLimits({ timeoutMs: 5 })).toMatchObject({ timeoutMs: 5, memoryMb: 256 });
  });
});

describe('JSON Schema export', () => {
  it('names every contract with its version and describes the request languages', () => {
    const schemas = toJsonSchemas();
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining([
        'umca.egress.attempt.v1',
        'umca.execution.request.v1',
        'umca.execution.result.v1',
        'umca.event.v1',
        'dev.umca.run.started.v1',
      ]),
    );
    expect(JSON.stringify(schemas['umca.execution.request.v1'])).toContain('"wasi"');
    expect(schemas['umca.execution.result.v1'].$id).toBe('https://umca.dev/schemas/umca.execution.result.v1.json');
  });

  it('describes a result the runner actually returns', () => {
    const result = {
      status: 'ok',
      exitCode: 0,
      stdout: '1\n',
      stderr: '',
      stdoutTruncated: false,
      stderrTruncated: false,
      files: [],
      egress: [],
      lane: 'wasm',
      runtime: 'pyodide',
      isolation: 'os',
      durationMs: 3.2,
      timings: { queuedMs: 0.1, executeMs: 3.1 },
    };
    expect(executionResultSchema.parse(result)).toEqual(result);
  });
});

describe('the JSON Schema files in the repository', () => {
  it('match the zod contracts (run `npm run schemas -w @umca/contracts` after changing one)', async () => {
    const { readFileSync } = await import('node:fs');
    for (const [name, schema] of Object.entries(toJsonSchemas())) {
      const onDisk = JSON.parse(readFileSync(new URL(`../schemas/${name}.json`, import.meta.url), 'utf8'));
      expect(onDisk, name).toEqual(schema);
    }
  });
});

describe('umca-events v1', () => {
  it('builds CloudEvents 1.0 envelopes that the event schema accepts', async () => {
    const { createUmcaEvent, umcaEventSchema } = await import('../src/index.js');
    const event = createUmcaEvent({
      type: 'dev.umca.run.ended.v1',
      subject: 'run_1',
      data: { runId: 'run_1', status: 'ok', durationMs: 3 },
      id: 'e1',
      time: new Date('2026-01-01T00:00:00Z'),
    });
    expect(umcaEventSchema.parse(event)).toEqual(event);
    expect(umcaEventSchema.safeParse({ ...event, data: { runId: 'run_1' } }).success).toBe(false);
    expect(umcaEventSchema.safeParse({ ...event, type: 'dev.umca.run.exploded.v1' }).success).toBe(false);
  });
});

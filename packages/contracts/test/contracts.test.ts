import { describe, expect, it } from 'vitest';
import {
  escapePath,
  executionRequestSchema,
  executionResultSchema,
  findPathProblem,
  inputFileSchema,
  MAX_PATH_LENGTH,
  outputFileSchema,
  RELATIVE_PATH_PATTERN,
  resolveLimits,
  toJsonSchemas,
} from '../src/index.js';

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
    [{ language: 'python', code: 'x', files: [{ path: 'esc\u001b[2J.txt', content: '' }] }, 'control character (U+001B)'],
    [{ language: 'python', code: 'x', files: [{ path: 'new\nline', content: '' }] }, 'control character (U+000A)'],
    [{ language: 'python', code: 'x', files: [{ path: 'csi\u009b', content: '' }] }, 'control character (U+009B)'],
    [{ language: 'python', code: 'x', files: [{ path: 'a\\b', content: '' }] }, 'backslash'],
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

describe('the path rule (input and output files)', () => {
  const hostile = [
    '../etc/passwd',
    'ok/../../x',
    './x',
    'a/.',
    '/etc/x',
    '//x',
    'a//b',
    'a/',
    '',
    'a\\b',
    'esc\u001b[2J',
    'bell\u0007',
    'tab\t',
    'nul\u0000',
    'del\u007f',
    'c1\u0085',
    'sep\u2028',
    'rtl\u202e',
    'isolate\u2066',
    'lone\udc00',
    'x'.repeat(MAX_PATH_LENGTH + 1),
  ];
  const fine = ['a', 'a.txt', 'dir/sub/file.csv', '.hidden', '...', 'a..b', 'été/日本語', 'emoji-😀', 'x'.repeat(MAX_PATH_LENGTH)];

  it('refuses each hostile path for inputs and outputs, and names the problem', () => {
    for (const path of hostile) {
      expect(findPathProblem(path), JSON.stringify(path)).toBeDefined();
      expect(inputFileSchema.safeParse({ path, content: '' }).success, JSON.stringify(path)).toBe(false);
      expect(outputFileSchema.safeParse({ path, sizeBytes: 0, encoding: 'utf8', content: '' }).success, JSON.stringify(path)).toBe(false);
    }
    for (const path of fine) {
      expect(findPathProblem(path), path).toBeUndefined();
      expect(inputFileSchema.safeParse({ path, content: '' }).success, path).toBe(true);
    }
  });

  it('gives the same verdict as the JSON Schema pattern (plus length and Unicode checks)', () => {
    // A deterministic walk through strings made of the characters that matter.
    const alphabet = ['a', '.', '/', '\\', '\u0000', '\u001b', '\u007f', '\u0085', '\u202e', 'é', '\ud800', '😀'];
    let seed = 7;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const inJsonSchema = (path: string) =>
      path.length >= 1 && path.length <= MAX_PATH_LENGTH && RELATIVE_PATH_PATTERN.test(path) && !/\p{Cs}/u.test(path);
    for (let round = 0; round < 5_000; round++) {
      const length = next() % 8;
      const path = Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
      expect(findPathProblem(path) === undefined, JSON.stringify(path)).toBe(inJsonSchema(path));
    }
    const result = toJsonSchemas()['umca.execution.result.v1'] as {
      properties: { files: { items: { oneOf: Array<{ properties: { path: { pattern: string } } }> } } };
    };
    for (const variant of result.properties.files.items.oneOf) expect(variant.properties.path.pattern).toBe(RELATIVE_PATH_PATTERN.source);
  });

  it('escapes a path for showing: one line, nothing a terminal acts on, cut when long', () => {
    expect(escapePath('a\u001b]0;x\u0007\n\\\u202e\ud800b')).toBe('a\\u001b]0;x\\u0007\\n\\\\\\u202e\\ud800b');
    expect(escapePath('é😀/ok')).toBe('é😀/ok');
    expect(escapePath('😀'.repeat(300))).toBe(`${'😀'.repeat(200)}…`);
  });
});

describe('umca.execution.result.v1 files', () => {
  const file = { path: 'a.bin', sizeBytes: 3, encoding: 'base64', content: 'AAEC' };

  it('accepts a file whose size is what its content decodes to', () => {
    expect(outputFileSchema.parse(file)).toEqual(file);
    expect(outputFileSchema.parse({ path: 't.txt', sizeBytes: 6, encoding: 'utf8', content: 'héllo' })).toBeDefined();
  });

  it.each([
    [{ ...file, sizeBytes: 4 }, 'sizeBytes'],
    [{ ...file, sizeBytes: -1 }, 'sizeBytes'],
    [{ ...file, content: 'not base64!' }, 'content'],
    [{ path: 't.txt', sizeBytes: 5, encoding: 'utf8', content: 'héllo' }, 'sizeBytes'],
    [{ path: 't.txt', sizeBytes: 3, encoding: 'utf8', content: '\ud800' }, 'content'],
    [{ ...file, sizeBytes: 17 * 1_048_576 }, 'sizeBytes'],
  ])('refuses %j', (bad, field) => {
    const parsed = outputFileSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(field);
  });

  it('refuses more than 100 files or more than 16 MiB in all', () => {
    const files = (count: number, content: string) =>
      Array.from({ length: count }, (_, index) => ({ path: `f${index}`, sizeBytes: content.length, encoding: 'utf8', content }));
    expect(executionResultSchema.shape.files.safeParse(files(100, 'x')).success).toBe(true);
    expect(executionResultSchema.shape.files.safeParse(files(101, 'x')).success).toBe(false);
    expect(executionResultSchema.shape.files.safeParse(files(16, 'a'.repeat(1_048_576))).success).toBe(true);
    expect(executionResultSchema.shape.files.safeParse(files(17, 'a'.repeat(1_048_576))).success).toBe(false);
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
  // Results the real runner returns are checked against both forms of the contract in
  // packages/runner/test/runner-result-contract.real.test.ts: this package depends on nothing.
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

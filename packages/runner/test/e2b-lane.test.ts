/**
 * The E2B lane against a double of E2B's cloud (support/e2b-double.ts: E2B itself is a paid cloud
 * API that cannot run here). The double speaks E2B's wire format and runs the code for real with
 * this machine's python3 and node.
 */
import { executionResultSchema, type LaneV1, MAX_LIMITS } from '@umca/contracts';
import { acceptExecutionRequest } from '@umca/policy';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createE2bLane } from '../src/container/e2b-lane.js';
import { type E2bDouble, startE2bDouble } from './support/e2b-double.js';

let double: E2bDouble;
let lane: LaneV1;

beforeAll(async () => {
  double = await startE2bDouble({ keepaliveMs: 50 });
  lane = createE2bLane({ apiKey: double.apiKey, apiUrl: double.url, sandboxUrl: double.sandboxUrl });
});

afterAll(async () => {
  await lane.close();
  await double.close();
});

afterEach(() => {
  // Whatever happened, every sandbox the lane created was deleted, and nothing runs in it.
  for (const sandbox of double.sandboxes) {
    expect(sandbox.ended, `sandbox ${sandbox.id}`).toBe(true);
    expect(sandbox.running.size).toBe(0);
  }
});

const run = (body: Record<string, unknown>, options?: Parameters<LaneV1['execute']>[1]) =>
  lane.execute(acceptExecutionRequest(body), options).then((result) => executionResultSchema.parse(result));
const lastSandbox = () => double.sandboxes.at(-1);

describe('createE2bLane', () => {
  it('runs Python in a sandbox of its own, with no network, and deletes it', async () => {
    const before = double.sandboxes.length;
    const result = await run({ language: 'python', code: 'import sys\nprint("hello", sys.version_info[0])' });
    expect(result).toMatchObject({
      status: 'ok',
      exitCode: 0,
      stdout: 'hello 3\n',
      stderr: '',
      files: [],
      egress: [],
      lane: 'container',
      runtime: 'cpython',
      isolation: 'vm',
    });
    expect(double.sandboxes.length).toBe(before + 1);
    expect(lastSandbox()?.created).toMatchObject({ templateID: 'code-interpreter-v1', allow_internet_access: false, secure: true });
    // The sandbox's own timeout covers the run's limit, so E2B ends it even if our kill is lost.
    expect(lastSandbox()?.created.timeout).toBeGreaterThanOrEqual(10);
    expect(lane.stats()).toMatchObject({ lane: 'container', isolation: 'vm', idleSandboxes: 0, sandboxStartupMs: expect.any(Number) });
  });

  it('turns an exception into status error with its type, message and traceback', async () => {
    const result = await run({ language: 'python', code: 'def f():\n    return 1 / 0\nf()' });
    expect(result).toMatchObject({
      status: 'error',
      exitCode: 1,
      reason: 'ZeroDivisionError: division by zero',
      error: { type: 'ZeroDivisionError', message: 'division by zero', traceback: expect.stringContaining('ZeroDivisionError') },
    });
    expect(result.stderr).toContain('ZeroDivisionError: division by zero');
  });

  it('reads sys.exit as an exit code', async () => {
    expect(await run({ language: 'python', code: 'import sys\nsys.exit(3)' })).toMatchObject({ status: 'error', exitCode: 3 });
    expect(await run({ language: 'python', code: 'import sys\nsys.exit(0)' })).toMatchObject({ status: 'ok', exitCode: 0 });
  });

  it('runs JavaScript on Node', async () => {
    expect(await run({ language: 'javascript', code: 'console.log(1 + 1, typeof require)' })).toMatchObject({
      status: 'ok',
      stdout: '2 function\n',
      runtime: 'node',
    });
    expect(await run({ language: 'javascript', code: 'null.x' })).toMatchObject({
      status: 'error',
      exitCode: 1,
      error: { type: 'TypeError' },
    });
  });

  it('streams the output to onOutput as it is written', async () => {
    const seen: Array<{ stream: string; text: string; at: number }> = [];
    let startedWith: unknown;
    const result = await run(
      { language: 'python', code: 'import sys, time\nprint("first")\ntime.sleep(0.4)\nprint("oops", file=sys.stderr)\nprint("last")' },
      {
        onStart: (start) => {
          startedWith = start;
        },
        onOutput: (stream, text) => seen.push({ stream, text, at: Date.now() }),
      },
    );
    const ended = Date.now();
    expect(startedWith).toMatchObject({
      queuedMs: 0,
      lane: 'container',
      runtime: 'cpython',
      isolation: 'vm',
      selection: { lane: 'container' },
    });
    expect(result).toMatchObject({ status: 'ok', stdout: 'first\nlast\n', stderr: 'oops\n' });
    // Chunks come as the program writes them (print's text and newline may come apart), in order.
    const streamed = (stream: string) =>
      seen
        .filter((chunk) => chunk.stream === stream)
        .map((chunk) => chunk.text)
        .join('');
    expect([streamed('stdout'), streamed('stderr')]).toEqual(['first\nlast\n', 'oops\n']);
    const arrival = (text: string) => seen.findIndex((chunk) => chunk.text.includes(text));
    expect(arrival('first')).toBeLessThan(arrival('oops'));
    expect(arrival('oops')).toBeLessThan(arrival('last'));
    // "first" came while the program still slept, not with the result.
    expect(ended - (seen[arrival('first')]?.at ?? ended)).toBeGreaterThanOrEqual(300);
  });

  it('puts the input files in the working directory and brings back what the run wrote', async () => {
    const result = await run({
      language: 'python',
      code: [
        'import os',
        'n = int(open("data/in.txt").read())',
        'os.makedirs("out", exist_ok=True)',
        'open("out/answer.txt", "w").write(str(n + 1))',
        'open("blob.bin", "wb").write(bytes([0, 255, 1]))',
        'open("same.txt", "w").write("unchanged")',
        'os.symlink("/etc/passwd", "link")',
      ].join('\n'),
      files: [
        { path: 'data/in.txt', content: '41' },
        { path: 'same.txt', content: 'dW5jaGFuZ2Vk', encoding: 'base64' },
      ],
    });
    expect(result.status).toBe('ok');
    expect(lastSandbox()?.uploads.sort()).toEqual(['/home/user/umca-run/data/in.txt', '/home/user/umca-run/same.txt']);
    // Unchanged inputs stay behind; a link is named and left out.
    expect(result.files).toEqual([
      { path: 'blob.bin', sizeBytes: 3, encoding: 'base64', content: 'AP8B' },
      { path: 'out/answer.txt', sizeBytes: 2, encoding: 'utf8', content: '42' },
    ]);
    expect(result.droppedFiles).toMatchObject({ count: 1, files: [{ path: 'link', reason: 'symlink' }] });
  });

  it('ends a run past its time limit as timeout and kills its sandbox', async () => {
    const result = await run({
      language: 'python',
      code: 'import time\nprint("start", flush=True)\ntime.sleep(30)',
      limits: { timeoutMs: 700 },
    });
    expect(result).toMatchObject({
      status: 'timeout',
      exitCode: null,
      stdout: 'start\n',
      reason: `the run passed its time limit of 700 ms and was killed; raise limits.timeoutMs (up to ${MAX_LIMITS.timeoutMs})`,
    });
    expect(result.durationMs).toBeLessThan(10_000);
    expect(lastSandbox()?.ended).toBe(true);
  });

  it('ends an aborted run as cancelled and kills its sandbox', async () => {
    const controller = new AbortController();
    let printed = '';
    const result = await run(
      { language: 'python', code: 'import time\nprint("go", flush=True)\ntime.sleep(30)' },
      {
        signal: controller.signal,
        onOutput: (_stream, text) => {
          printed += text;
          if (printed.endsWith('\n')) controller.abort();
        },
      },
    );
    expect(result).toMatchObject({ status: 'cancelled', exitCode: null, reason: 'the run was cancelled', stdout: 'go\n' });
    expect(lastSandbox()?.ended).toBe(true);
  });

  it('caps each stream at limits.outputBytes and ends the run as output_limit', async () => {
    const result = await run({
      language: 'python',
      code: 'import time\nprint("é" * 100, flush=True)\ntime.sleep(30)',
      limits: { outputBytes: 51 },
    });
    expect(result).toMatchObject({
      status: 'output_limit',
      exitCode: null,
      stdout: 'é'.repeat(25),
      stdoutTruncated: true,
      stderrTruncated: false,
    });
    expect(result.reason).toBe(
      `stdout passed the limit of 51 bytes and the run was killed; raise limits.outputBytes (up to ${MAX_LIMITS.outputBytes}) or print less`,
    );
    expect(lastSandbox()?.ended).toBe(true);
  });

  it('refuses a run that allows outbound hosts, before creating a sandbox', async () => {
    const before = double.requests.length;
    const result = await run({ language: 'python', code: 'print(1)', allowedOutboundHosts: ['https://pypi.org'] });
    expect(result).toMatchObject({ status: 'rejected', exitCode: null, lane: 'container', isolation: 'vm' });
    expect(result.reason).toMatch(/^E2B cannot hold the run to its allowedOutboundHosts/);
    expect(double.requests.length).toBe(before);
  });

  it('refuses wasi and stdin, which the code interpreter cannot take', async () => {
    expect(await run({ language: 'python', code: 'input()', stdin: 'x' })).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('stdin'),
    });
    expect(await run({ language: 'wasi', module: 'AGFzbQEAAAA=' })).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('wasm lane'),
    });
  });

  it('reports a wrong API key as crashed, naming E2B and the status but never the key', async () => {
    const wrongKey = 'e2b_wrong_key_0123456789abcdef';
    const wrong = createE2bLane({ apiKey: wrongKey, apiUrl: double.url, sandboxUrl: double.sandboxUrl });
    let started = false;
    const result = executionResultSchema.parse(
      await wrong.execute(acceptExecutionRequest({ language: 'python', code: 'print(1)' }), { onStart: () => (started = true) }),
    );
    expect(result).toMatchObject({ status: 'crashed', exitCode: null, lane: 'container', runtime: 'cpython' });
    expect(result.reason).toContain('E2B answered POST /sandboxes with HTTP 401');
    expect(result.reason).toContain('UMCA_E2B_API_KEY');
    // The double's answer repeats the key it refused; the lane takes it out.
    expect(result.reason).toContain('[redacted]');
    expect(JSON.stringify(result)).not.toContain(wrongKey);
    expect(started).toBe(false);
  });

  it('reports a failure of E2B mid-run as crashed and still deletes the sandbox', async () => {
    double.failNext('POST', '/execute', 503);
    const result = await run({ language: 'python', code: 'print(1)' });
    expect(result).toMatchObject({
      status: 'crashed',
      reason: expect.stringMatching(/^E2B answered code-interpreter POST \/execute with HTTP 503/),
    });
    expect(lastSandbox()?.ended).toBe(true);
  });

  it('reports an unreachable E2B as crashed', async () => {
    const offline = createE2bLane({ apiKey: double.apiKey, apiUrl: 'http://127.0.0.1:1' });
    const result = await offline.execute(acceptExecutionRequest({ language: 'python', code: 'print(1)' }));
    expect(result).toMatchObject({ status: 'crashed', reason: expect.stringMatching(/^E2B could not be reached for POST \/sandboxes/) });
    expect(result.reason).not.toContain(double.apiKey);
  });

  it('will not start without an API key', () => {
    expect(() => createE2bLane({ apiKey: '' })).toThrow(/UMCA_E2B_API_KEY/);
  });

  it('kills the sandboxes still running when it closes', async () => {
    const closing = createE2bLane({ apiKey: double.apiKey, apiUrl: double.url, sandboxUrl: double.sandboxUrl });
    const pending = closing.execute(
      acceptExecutionRequest({ language: 'python', code: 'import time\nprint(1, flush=True)\ntime.sleep(30)' }),
      {
        onOutput: () => void closing.close(),
      },
    );
    expect(await pending).toMatchObject({ status: 'cancelled' });
    expect(lastSandbox()?.ended).toBe(true);
    expect(await closing.execute(acceptExecutionRequest({ language: 'python', code: 'print(1)' }))).toMatchObject({
      status: 'rejected',
      reason: 'the E2B lane is closed',
    });
  });
});

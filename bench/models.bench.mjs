// Model gateway and agent flow benchmark, side by side in one run:
//  1. one chat call through the gateway (OpenAI SDK, streaming, retries, fallback bookkeeping)
//     beside the same request as a bare fetch of the stream, against a local OpenAI-compatible
//     fixture server that answers at once (so only client-side cost shows);
//  2. a whole one-round task through POST /v1/tasks with that fixture as planner and coder: the
//     flow's own cost is what is left after the model calls and the sandbox run;
//  3. the local provider (node-llama-cpp) on SmolLM2-135M-Instruct: time to first token and
//     tokens per second.
//
//   npm run bench:models [-- --quick]
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServerConfig, startServer } from '../apps/orchestrator/dist/index.js';
import { createModelGateway } from '../packages/models/dist/index.js';
import { printSamples as line, median, time } from './support/samples.mjs';

const quick = process.argv.includes('--quick');

// The fixture: an OpenAI-compatible chat completions endpoint that streams a fixed answer in 20
// chunks. As planner it answers a plan with two checks; as coder, a program that passes them.
const PLAN = '{"plan": ["define add", "return the sum"], "checks": ["assert add(2, 3) == 5", "assert add(-1, 1) == 0"]}';
const CODE = '```python\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n```';
const fixture = createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    const parsed = JSON.parse(body);
    const text = parsed.messages[0]?.content?.startsWith('You plan') ? PLAN : CODE;
    const base = { id: 'x', object: 'chat.completion.chunk', created: 0, model: parsed.model };
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const size = Math.ceil(text.length / 20);
    let out = `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })}\n\n`;
    for (let offset = 0; offset < text.length; offset += size) {
      out += `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: text.slice(offset, offset + size) }, finish_reason: null }] })}\n\n`;
    }
    out += `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
    out += `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 50, completion_tokens: 30, total_tokens: 80 } })}\n\n`;
    response.end(`${out}data: [DONE]\n\n`);
  });
});
await new Promise((resolve) => fixture.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${fixture.address().port}/v1`;
const env = { UMCA_PROVIDER_BENCH_BASE_URL: baseUrl };

console.log(`UMCA models benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);

// 1. Gateway beside a bare fetch.
const count = quick ? 200 : 1_000;
const messages = [
  { role: 'system', content: 'You write programs.' },
  { role: 'user', content: 'write add' },
];
const bare = await time(count, async () => {
  const response = await fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages, stream: true, stream_options: { include_usage: true } }),
  });
  await response.text();
});
const gateway = createModelGateway({ env });
const through = await time(count, () => gateway.chat(['bench:m'], { messages, maxTokens: 256 }));
line('chat call: bare fetch of the stream (baseline)', bare);
line('chat call: through the model gateway', through);
console.log(
  `  gateway cost per call: ${(median(through) - median(bare)).toFixed(2)} ms at the median (${(median(through) / median(bare)).toFixed(2)}x the bare call)\n`,
);

// 2. A whole task.
const server = await startServer(
  resolveServerConfig({ flags: { port: 0, dataDir: mkdtempSync(join(tmpdir(), 'umca-bench-')) }, env: {} }),
  {
    logger: { info() {}, warn: console.warn, error: console.error },
    modelEnv: env,
  },
);
const parts = { model: [], execution: [], rest: [], outside: [] };
const taskCount = quick ? 30 : 100;
const tasks = await time(taskCount, async () => {
  const started = performance.now();
  const response = await fetch(`${server.url}/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task: 'write add(a, b)', model: 'bench:m', maxIterations: 1 }),
  });
  const result = await response.json();
  if (result.verdict !== 'pass') throw new Error(`the bench task did not pass: ${JSON.stringify(result)}`);
  const execution = result.iterations[0].execution.durationMs;
  parts.model.push(result.usage.latencyMs);
  parts.execution.push(execution);
  parts.rest.push(result.durationMs - result.usage.latencyMs - execution);
  parts.outside.push(performance.now() - started - result.durationMs);
});
for (const key of Object.keys(parts)) parts[key] = parts[key].slice(-taskCount); // not the warm-up
line('task, one round: POST /v1/tasks to result (HTTP)', tasks);
line('  of which the two model calls', parts.model);
line('  of which the sandbox run (program + checks)', parts.execution);
line('  of which the flow itself (parsing, harness, step events)', parts.rest);
line('  of which HTTP, the run record and the final events', parts.outside);
await server.close();
fixture.close();

// 3. The local provider.
const cache = process.env.UMCA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'umca');
const gguf = process.env.UMCA_TEST_GGUF ?? join(cache, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
if (!existsSync(gguf)) {
  console.log(`\nlocal provider: skipped, no model at ${gguf} (scripts/setup-test-tools.sh fetches it)`);
} else {
  const local = createModelGateway({ env: {} });
  const request = { messages: [{ role: 'user', content: 'Count from 1 to 200, separated by commas.' }], maxTokens: 128, temperature: 0 };
  const load = performance.now();
  await local.chat([`local:${gguf}`], { ...request, maxTokens: 1 });
  console.log(
    `\nlocal provider, SmolLM2-135M-Instruct Q4_1 (${cpus().length} threads): first load ${(performance.now() - load).toFixed(0)} ms`,
  );
  const firstToken = [];
  const rate = [];
  for (let index = 0; index < (quick ? 3 : 7); index++) {
    const started = performance.now();
    let first;
    const response = await local.chat([`local:${gguf}`], request, {
      onText: () => {
        first ??= performance.now() - started;
      },
    });
    firstToken.push(first ?? Number.NaN);
    rate.push(response.usage.completionTokens / ((performance.now() - started - (first ?? 0)) / 1000));
  }
  line('local: time to first token', firstToken);
  line('local: generation speed after the first token', rate, 'tok/s');
}
process.exit(0);

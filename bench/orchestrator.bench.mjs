// Orchestrator benchmark: the MCP `tools/call` round trip for `run_code` on a trivial program
// (beside the same program through HTTP and through the runner directly, so the layers' costs
// show), and the latency from publishing an event to its delivery over SSE with 1 and with 100
// subscribers. One run, one machine; medians and p99.
//
//   npm run bench:orchestrator [-- --quick]
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { resolveServerConfig, startServer } from '../apps/orchestrator/dist/index.js';
import { createRunner } from '../packages/runner/dist/index.js';
import { printSamples as line, time } from './support/samples.mjs';

const quick = process.argv.includes('--quick');
const quiet = { info() {}, warn: console.warn, error: console.error };
console.log(`UMCA orchestrator benchmark: ${cpus().length} CPUs, Node ${process.version}${quick ? ', quick' : ''}\n`);
const runner = await createRunner({ logger: quiet });
const server = await startServer(
  resolveServerConfig({ flags: { port: 0, dataDir: mkdtempSync(join(tmpdir(), 'umca-bench-')) }, env: {} }),
  {
    logger: quiet,
    runner,
  },
);
const count = quick ? 100 : 300;
const programs = { python: 'print(1)', javascript: 'console.log(1)' };

const client = new Client({ name: 'bench', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
for (const [language, code] of Object.entries(programs)) {
  line(`${language}: runner.run (in process, no HTTP)`, await time(count, () => runner.run({ language, code })));
  line(
    `${language}: POST /v1/executions (HTTP, recorded, events)`,
    await time(count, () =>
      fetch(`${server.url}/v1/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language, code }),
      }).then((r) => r.json()),
    ),
  );
  line(
    `${language}: MCP tools/call run_code (Streamable HTTP)`,
    await time(count, () => client.callTool({ name: 'run_code', arguments: { language, code } })),
  );
}
await client.close();

async function sseLatency(subscribers, events) {
  const received = new Map();
  const controllers = [];
  const ready = [];
  for (let index = 0; index < subscribers; index++) {
    const controller = new AbortController();
    controllers.push(controller);
    ready.push(
      (async () => {
        const response = await fetch(`${server.url}/v1/events`, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        let opened;
        const openedPromise = new Promise((resolve) => (opened = resolve));
        (async () => {
          try {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) return;
              opened();
              buffer += decoder.decode(value, { stream: true });
              let end = buffer.indexOf('\n\n');
              while (end >= 0) {
                const frame = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const data = frame.split('\n').find((part) => part.startsWith('data: '));
                if (data) {
                  const now = performance.now();
                  const sent = Number(JSON.parse(data.slice(6)).data.message);
                  const list = received.get(sent) ?? [];
                  list.push(now - sent);
                  received.set(sent, list);
                }
                end = buffer.indexOf('\n\n');
              }
            }
          } catch {
            // aborted
          }
        })();
        await openedPromise;
      })(),
    );
  }
  await Promise.all(ready);
  for (let index = 0; index < events; index++) {
    await server.bus.publish('dev.umca.error.raised.v1', 'bench', { code: 'bench', message: String(performance.now()) });
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const controller of controllers) controller.abort();
  const all = [...received.values()].flat();
  const lastDelivery = [...received.values()].map((list) => Math.max(...list));
  return { all, lastDelivery, delivered: all.length, expected: subscribers * events };
}

for (const subscribers of [1, 100]) {
  const { all, lastDelivery, delivered, expected } = await sseLatency(subscribers, quick ? 50 : 200);
  line(`publish -> SSE delivery, ${subscribers} subscriber(s), each delivery`, all);
  if (subscribers > 1) line(`publish -> SSE delivery, ${subscribers} subscribers, slowest of each event`, lastDelivery);
  if (delivered !== expected) console.log(`  delivered ${delivered} of ${expected}`);
}
console.log('\n(SSE clients run in the benchmark process, so their parsing shares its CPU with the server.)');
await server.close();
await runner.close();

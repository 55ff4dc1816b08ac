#!/usr/bin/env node
// Submits runs to UMCA servers and checks that every one ended exactly once, with its events in
// order, on the event stream of every server: the check of docs/scale-out.md, to run while you
// kill a worker or restart the broker by hand.
//   node scripts/scale-out-check.mjs --servers http://127.0.0.1:8787,http://127.0.0.1:8788 [--runs 1000] [--token T]
// Runs go to the servers in turn, at most 50 waiting for an answer at a time; a 429 (every worker
// busy, the queue full) is waited out as its Retry-After says. Exit status: 0 all good, 1 not,
// 2 bad arguments.
import { parseArgs } from 'node:util';
import { createClient } from '@umca/client';

const { values } = parseArgs({
  options: { servers: { type: 'string' }, runs: { type: 'string', default: '1000' }, token: { type: 'string' } },
});
const servers = (values.servers ?? '').split(',').filter(Boolean);
const total = Number(values.runs);
if (servers.length === 0 || !Number.isInteger(total) || total < 1) {
  process.stderr.write(
    'usage: node scripts/scale-out-check.mjs --servers URL[,URL...] [--runs N (a whole number, default 1000)] [--token T]\n',
  );
  process.exit(2);
}
const clients = servers.map((baseUrl) => createClient({ baseUrl, ...(values.token ? { token: values.token } : {}) }));
const say = (text) => process.stderr.write(`${text}\n`);

const from = (await clients[0].readiness()).lastEventOffset;
say(`checking ${total} runs on ${servers.join(' and ')}, events after offset ${from}`);

// Every server's stream, from the same offset, until every submitted run has ended on it.
const submitted = new Set();
let submittedAll = false;
const endedOn = clients.map(() => new Set());
const done = clients.map(() => new AbortController());
const streams = clients.map(async (client, index) => {
  const events = [];
  try {
    // Reconnects ride out a server or broker restart; the stream resumes after its last offset.
    for await (const stored of client.events({ after: from, signal: done[index].signal, reconnect: { attempts: 60 } })) {
      events.push(stored);
      if (stored.event.type === 'dev.umca.run.ended.v1') endedOn[index].add(stored.event.subject);
    }
  } catch (error) {
    if (!done[index].signal.aborted) throw error;
  }
  say(`server ${servers[index]}: every run ended on its stream (${events.length} events)`);
  return events;
});
const allEndedOn = (index) => submittedAll && [...submitted].every((runId) => endedOn[index].has(runId));

let next = 0;
let refused = 0;
const started = performance.now();
async function submitter() {
  while (next < total) {
    const index = next++;
    const client = clients[index % clients.length];
    for (;;) {
      try {
        const accepted = await client.submitExecution({ language: 'python', code: `print(${index} * 2)` });
        submitted.add(accepted.runId);
        break;
      } catch (error) {
        if (error?.status !== 429) throw error;
        refused++;
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(error.problem?.retryAfterSeconds ?? 1)));
      }
    }
    if (submitted.size % 100 === 0) say(`${submitted.size} of ${total} submitted`);
  }
}
await Promise.all(Array.from({ length: 50 }, submitter));
submittedAll = true;
say(`all ${total} submitted in ${((performance.now() - started) / 1000).toFixed(1)} s (${refused} times told to wait: 429)`);
for (let index = 0; index < clients.length; index++) {
  for (let waited = 1; !allEndedOn(index); waited++) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (waited % 50 === 0) say(`server ${servers[index]}: ${submitted.size - endedOn[index].size} run(s) not ended yet`);
  }
  done[index].abort();
}
const results = await Promise.all(streams);

const problems = [];
for (const [index, events] of results.entries()) {
  const byRun = new Map();
  let previous = from;
  for (const { offset, event } of events) {
    if (offset !== previous + 1) problems.push(`${servers[index]}: offset ${offset} follows ${previous}`);
    previous = offset;
    if (!submitted.has(event.subject)) continue;
    byRun.set(event.subject, [...(byRun.get(event.subject) ?? []), event]);
  }
  for (const runId of submitted) {
    const events = byRun.get(runId) ?? [];
    const ends = events.filter((event) => event.type === 'dev.umca.run.ended.v1');
    if (ends.length !== 1) problems.push(`${servers[index]}: run ${runId} ended ${ends.length} times`);
    if (events[0]?.type !== 'dev.umca.run.created.v1') problems.push(`${servers[index]}: run ${runId} does not start with run.created`);
    if (events.at(-1)?.type !== 'dev.umca.run.ended.v1') problems.push(`${servers[index]}: run ${runId} does not end with run.ended`);
  }
}
const [first, ...others] = results;
for (const [index, events] of others.entries()) {
  if (events.length !== first.length || events.some((stored, at) => stored.event.id !== first[at]?.event.id)) {
    problems.push(`${servers[index + 1]} streamed other events than ${servers[0]}`);
  }
}
const statuses = new Map();
for (const runId of submitted) {
  const run = await clients[0].getRun(runId);
  statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
}
const restarted = first.filter(({ event }) => event.type === 'dev.umca.run.restarted.v1').length;
say(
  `runs by status: ${[...statuses].map(([status, count]) => `${status} ${count}`).join(', ')}; ${restarted} restarted after a worker was lost`,
);
if (problems.length > 0) {
  say(`NOT OK: ${problems.length} problem(s):\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
say(`OK: ${total} runs ended exactly once, every event in order, the same on ${servers.length} server(s)`);
process.exit(0);

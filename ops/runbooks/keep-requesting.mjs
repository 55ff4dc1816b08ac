#!/usr/bin/env node
// The client that keeps calling UMCA while a drill changes something under it (rotate-keys-drill.sh):
// round after round, one authenticated GET per token file in TOKEN_DIR (the file's name is the
// token's label; files come and go while it runs), each answer appended to LOG as one line
// "<ms since the epoch> <label> <HTTP status> <problem code or ->" (status 0: no answer at all).
// It stops at SIGTERM once the round in flight is written, so the drill counts every request.
//
//   node ops/runbooks/keep-requesting.mjs URL TOKEN_DIR LOG
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

const [url, tokenDir, log] = process.argv.slice(2);
if (!url || !tokenDir || !log) {
  process.stderr.write('usage: node keep-requesting.mjs URL TOKEN_DIR LOG\n');
  process.exit(2);
}

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

async function ask(token) {
  try {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    let code = '-';
    if (!response.ok) {
      try {
        code = JSON.parse(body).code ?? '-';
      } catch {
        // Not a problem document: the status says enough.
      }
    }
    return `${response.status} ${code}`;
  } catch (error) {
    return `0 ${error instanceof Error ? error.name : 'error'}`;
  }
}

while (!stopping) {
  const lines = [];
  for (const label of readdirSync(tokenDir).sort()) {
    let token;
    try {
      token = readFileSync(join(tokenDir, label), 'utf8').trim();
    } catch {
      continue; // Removed between the listing and the read: the drill retired that token.
    }
    if (!token) continue;
    const answer = await ask(token);
    lines.push(`${Date.now()} ${label} ${answer}\n`);
  }
  if (lines.length > 0) appendFileSync(log, lines.join(''));
  await delay(50);
}

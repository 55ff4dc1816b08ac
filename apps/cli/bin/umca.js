#!/usr/bin/env node
// The umca command. Compiled code lives in ../dist; `npm run build` (or ./umca) produces it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('umca: the CLI is not built yet. Run `./umca` from the repository root (it builds what it needs) or `npm run build`.');
  process.exit(3);
}
await import(entry.href);

// Writes every contract's JSON Schema to a folder (`npm run schemas -w @umca/contracts`), so tools
// that do not speak TypeScript can validate UMCA payloads. A script beside the package, not in it:
// @umca/contracts itself imports nothing but zod.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonSchemas } from '../dist/index.js';

const folder = process.argv[2] ?? 'schemas';
mkdirSync(folder, { recursive: true });
for (const [name, schema] of Object.entries(toJsonSchemas())) {
  writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(schema, null, 2)}\n`);
}

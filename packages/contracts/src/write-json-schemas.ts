/**
 * @module write-json-schemas
 * Writes every contract's JSON Schema to a folder (`npm run schemas`), so tools that do not speak
 * TypeScript can validate UMCA payloads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonSchemas } from './json-schemas.js';

const folder = process.argv[2] ?? 'schemas';
mkdirSync(folder, { recursive: true });
for (const [name, schema] of Object.entries(toJsonSchemas())) {
  writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(schema, null, 2)}\n`);
}

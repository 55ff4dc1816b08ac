/**
 * @module evidence
 * The suite's drills leave their results where an auditor looks: each drill test writes to a
 * folder of its own (so it can read back exactly its file), then `keepEvidence` copies the
 * results into the checkout's `evidence/drills/` (docs/operations.md#evidence), which
 * `umca evidence list` reads and CI keeps.
 */
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DRILLS = fileURLToPath(new URL('../../evidence/drills', import.meta.url));

export function keepEvidence(dir: string): void {
  mkdirSync(DRILLS, { recursive: true });
  for (const name of readdirSync(dir)) cpSync(join(dir, name), join(DRILLS, name));
}

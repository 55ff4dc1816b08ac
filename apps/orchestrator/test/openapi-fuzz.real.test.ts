/**
 * A property-based fuzz of every operation in the served /openapi.json, by Schemathesis (PyPI,
 * installed by scripts/setup-test-tools.sh) against a real `umca serve`: schema-valid and
 * schema-breaking requests, then request sequences along the document's links. Every check runs:
 * no 5xx, only documented statuses, content types, headers and bodies that match the document
 * (each event of a stream too), 405 with `Allow` for a method a path does not take, and
 * schema-breaking requests refused. A schema-valid request may be refused only where the document
 * says why (support/python/fuzz_checks.py).
 *
 * Bounded by counts, not the clock: a fixed number of examples per operation from a fixed seed,
 * so a run is reproducible (`UMCA_FUZZ_SEED` and `UMCA_FUZZ_EXAMPLES` explore further).
 * `GET /v1/events` follows every run forever, so it is left out here; event-stream.real.test.ts
 * covers it, and its refusals are the same code as the run stream's, which is fuzzed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useServer } from './support/use-server.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCHEMATHESIS = `${ROOT}node_modules/.umca-python/bin/schemathesis`;
const HOOKS = fileURLToPath(new URL('./support/python', import.meta.url));

const server = useServer();

describe('the served OpenAPI document, fuzzed by Schemathesis', () => {
  it('finds nothing: every answer as documented, never a 5xx', async () => {
    expect(existsSync(SCHEMATHESIS), 'run scripts/setup-test-tools.sh (npm test does)').toBe(true);
    const reports = mkdtempSync(join(tmpdir(), 'umca-fuzz-'));
    const args = [
      'run',
      `${server().url}/openapi.json`,
      '--checks=all',
      '--exclude-checks=positive_data_acceptance',
      `--max-examples=${process.env.UMCA_FUZZ_EXAMPLES ?? 25}`,
      `--seed=${process.env.UMCA_FUZZ_SEED ?? 20261203}`,
      '--generation-database=none',
      '--exclude-path=/v1/events',
      '--request-timeout=60',
      '--no-color',
      `--report-dir=${reports}`,
    ];
    const outcome = await run(SCHEMATHESIS, args, {
      env: { ...process.env, PYTHONPATH: HOOKS, SCHEMATHESIS_HOOKS: 'fuzz_checks' },
      cwd: reports,
      maxBuffer: 64 * 1_048_576,
      // Only stops a hung fuzz; the work is bounded by the example count.
      timeout: 900_000,
    }).catch((error: { stdout?: string; stderr?: string; code?: number }) => ({ failed: error }));
    if ('failed' in outcome) {
      throw new Error(
        `Schemathesis found problems (exit ${outcome.failed.code}):\n${outcome.failed.stdout ?? ''}${outcome.failed.stderr ?? ''}`,
      );
    }
    // Every operation of the document but the global event stream (22 with the six of /v1/sessions).
    expect(outcome.stdout).toMatch(/Tested: 21\b/);
    expect(outcome.stdout).toMatch(/\d+ generated, \d+ passed/);
  }, 960_000);
});

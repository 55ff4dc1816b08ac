/**
 * The real GGUF model the tests run in process: SmolLM2-135M-Instruct, which
 * scripts/setup-test-tools.sh (run by `npm test`) places in the cache. UMCA_TEST_GGUF points
 * elsewhere. A missing file fails the test that needs it, saying how to get it.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function testGguf(): string {
  const cache = process.env.UMCA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'umca');
  const path = process.env.UMCA_TEST_GGUF ?? join(cache, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf');
  if (!existsSync(path)) {
    throw new Error(`the test model ${path} is missing: run scripts/setup-test-tools.sh (npm test does), or set UMCA_TEST_GGUF`);
  }
  return path;
}

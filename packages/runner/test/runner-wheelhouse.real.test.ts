/**
 * Pure-Python wheels from a local wheelhouse are importable; nothing is fetched from a network.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunner } from '../src/index.js';
import { quietLogger, useRunner } from './support/use-runner.js';

const wheelhouse = mkdtempSync(join(tmpdir(), 'umca-wheelhouse-'));
// Readable by all, as a wheelhouse must be when UMCA runs as root (the sandbox then has its own uid).
chmodSync(wheelhouse, 0o755);
// A real wheel, built with Python's zipfile: a package plus its dist-info metadata.
execFileSync('python3', [
  '-c',
  `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    wheel.writestr("tinylib/__init__.py", "def greet(name):\\n    return f'hello {name} from tinylib'\\n")
    wheel.writestr("tinylib-1.0.dist-info/METADATA", "Metadata-Version: 2.1\\nName: tinylib\\nVersion: 1.0\\n")
    wheel.writestr("tinylib-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
    wheel.writestr("tinylib-1.0.dist-info/RECORD", "")
`,
  join(wheelhouse, 'tinylib-1.0-py3-none-any.whl'),
]);

const runner = useRunner({ wheelhouseDir: wheelhouse, warmChildren: 1 });

describe('a local wheelhouse', () => {
  it('makes its pure-Python wheels importable', async () => {
    const result = await runner().run({
      language: 'python',
      code: 'import tinylib\nfrom importlib.metadata import version\nprint(tinylib.greet("ada"), version("tinylib"))',
    });
    expect(result).toMatchObject({ status: 'ok', stdout: 'hello ada from tinylib 1.0\n' });
  });

  it('is read-only to programs', async () => {
    const result = await runner().run({ language: 'python', code: 'open("/wheelhouse/evil.whl", "wb").write(b"x")' });
    expect(result.status).toBe('error');
    expect(result.error?.type).toMatch(/OSError|PermissionError/);
  });
});

describe('a wheelhouse the sandbox cannot read', () => {
  it.runIf(process.getuid?.() === 0)('is refused at start, naming the folder and the fix (as root)', async () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'umca-private-wheelhouse-'));
    const start = createRunner({ wheelhouseDir: privateDir, warmChildren: 1, logger: quietLogger });
    await expect(start).rejects.toMatchObject({
      code: 'sandbox_start_failed',
      message: expect.stringMatching(new RegExp(`cannot read ${privateDir} \\(mode 700\\).*chmod -R o\\+rX`)),
    });
  });
});

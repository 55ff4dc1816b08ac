import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hugePageMounts, THP_MODE_FILE } from '../src/host/huge-page-mounts.js';

describe('hugePageMounts', () => {
  it('mounts the one mode file read-only where Node reads it, under folders all users can list', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'umca-thp-')), 'enabled');
    writeFileSync(file, 'always [madvise] never\n');
    expect(hugePageMounts(file)).toEqual([
      ...['/sys', '/sys/kernel', '/sys/kernel/mm', '/sys/kernel/mm/transparent_hugepage'].flatMap((folder) => [
        '--perms',
        '0755',
        '--dir',
        folder,
      ]),
      '--ro-bind',
      file,
      THP_MODE_FILE,
    ]);
  });

  it('mounts nothing on a host without transparent huge pages', () => {
    expect(hugePageMounts(join(tmpdir(), 'umca-no-such-thp-file'))).toEqual([]);
  });
});

/**
 * `umca backup` and `umca restore` when UMCA_STORE names a PostgreSQL store, in process: they copy
 * the embedded store only, so they refuse with exit 2, say so plainly, point to the PostgreSQL
 * runbook (pg_dump, pg_restore), show no password, and write nothing.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerBackupCommands } from '../src/commands/backup-command.js';

const STORE = 'postgres://umca:s3cret-password@db.internal:5432/umca';

async function umca(args: string[]): Promise<{ code: number | string | undefined; stderr: string }> {
  const program = new Command().exitOverride();
  registerBackupCommands(program);
  let stderr = '';
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  vi.stubEnv('UMCA_STORE', STORE);
  const before = process.exitCode;
  try {
    await program.parseAsync(['node', 'umca', ...args]);
    return { code: process.exitCode, stderr };
  } finally {
    process.exitCode = before;
    write.mockRestore();
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('umca backup and restore on a PostgreSQL store', () => {
  for (const command of ['backup', 'restore'] as const) {
    it(`${command} refuses with exit 2, says it covers the embedded store only and points to the PostgreSQL runbook`, async () => {
      const work = mkdtempSync(join(tmpdir(), 'umca-backup-command-'));
      const dataDir = join(work, 'data');
      const folder = join(work, 'backup');
      const { code, stderr } = await umca([command, '--data-dir', dataDir, command === 'backup' ? '--to' : '--from', folder]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/embedded store \(SQLite in --data-dir\) only/);
      expect(stderr).toMatch(/pg_dump .*pg_restore.*docs\/runbooks\/postgres-backup\.md/);
      expect(stderr).not.toContain('s3cret-password');
      expect(existsSync(folder)).toBe(false);
      expect(existsSync(dataDir)).toBe(false);
      rmSync(work, { recursive: true });
    });
  }
});

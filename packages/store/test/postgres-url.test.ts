import { describe, expect, it } from 'vitest';
import { checkPostgresUrl, describePostgresUrl } from '../src/index.js';

describe('a PostgreSQL URL', () => {
  it('is checked before any connection, in the words of the flag it came from', () => {
    expect(() => checkPostgresUrl('localhost:5432/umca', '--store')).toThrow(
      /--store 'localhost:5432\/umca' must start with postgres:\/\//,
    );
    expect(() => checkPostgresUrl('not a url', '--store')).toThrow(
      /--store 'not a url' is not a URL: write postgres:\/\/user:password@host:5432\/database/,
    );
    expect(() => checkPostgresUrl('mysql://u:p@h/db', 'UMCA_STORE')).toThrow(
      /UMCA_STORE 'mysql:\/\/u:\*\*\*@h\/db' must start with postgres:\/\//,
    );
    expect(() => checkPostgresUrl('postgres://u:secret@h', '--store')).toThrow(/--store names no database: end it with \/DATABASE/);
    expect(() => checkPostgresUrl('postgresql://u:p@h:5432/umca')).not.toThrow();
  });

  it('is said back without its password', () => {
    expect(describePostgresUrl('postgres://umca:secret@db:5432/umca?sslmode=require')).toBe('postgres://umca@db:5432/umca');
    let message = '';
    try {
      checkPostgresUrl('postgres://u:secret@h', '--store');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('--store');
    expect(message).not.toContain('secret');
  });
});

/**
 * @module postgres-url
 * A PostgreSQL URL checked before any connection, and said back without its password.
 */
import { StoreError } from '../store-error.js';

/** Throws StoreError('invalid_url') saying what is wrong; `what` names it as the caller wrote it (`--store`). */
export function checkPostgresUrl(url: string, what = 'the store URL'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreError('invalid_url', `${what} '${redact(url)}' is not a URL: write postgres://user:password@host:5432/database`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new StoreError(
      'invalid_url',
      `${what} '${redact(url)}' must start with postgres:// (or postgresql://): write postgres://user:password@host:5432/database`,
    );
  }
  if (!parsed.hostname) throw new StoreError('invalid_url', `${what} names no host: write postgres://user:password@host:5432/database`);
  if (parsed.pathname.length <= 1)
    throw new StoreError(
      'invalid_url',
      `${what} names no database: end it with /DATABASE, as in postgres://user:password@${parsed.host}/umca`,
    );
}

/** `postgres://user@host:port/database`, for messages and logs. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString();
  } catch {
    return redact(url);
  }
}

function redact(url: string): string {
  return url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
}

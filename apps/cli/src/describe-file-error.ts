/**
 * @module describe-file-error
 * Why a file could not be read, in words a user acts on ("there is no such file"), instead of
 * Node's error code (`ENOENT`).
 */
import { resolve } from 'node:path';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'there is no such file',
  EACCES: 'permission denied: this user may not read it',
  EPERM: 'permission denied: this user may not read it',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of its path is a file, not a folder',
  ELOOP: 'its path goes round a loop of symbolic links',
  ENAMETOOLONG: 'its name is too long',
  EMFILE: 'this process has too many files open; try again',
  ENFILE: 'the system has too many files open; try again',
  EIO: 'the disk could not read it (input/output error)',
  ENXIO: 'it is a device or socket that cannot be read here',
};

/**
 * Why reading `path` failed, e.g. `there is no such file (looked for /home/me/nosuch.py)`. The
 * absolute path is added when `path` is relative, so a user sees which folder was searched.
 */
export function describeFileError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
  const absolute = resolve(path);
  return absolute === path ? reason : `${reason} (looked for ${absolute})`;
}

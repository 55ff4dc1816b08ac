/**
 * @module sandbox-uids
 * The unprivileged host uids (and gids, the same numbers) that sandboxes use when UMCA runs as
 * root. Each zygote gets an equal share of the range: its first id for itself, the rest for its runs, one
 * per live run. Nothing else on the machine should own these ids.
 */
import { readFileSync } from 'node:fs';
import { RunnerError } from '../errors.js';
import type { SandboxIds } from './sandbox-command.js';

/** 1024 ids from 2,000,000,000: above the ranges Linux distributions and systemd hand out. */
export const DEFAULT_SANDBOX_UIDS: SandboxIds = { first: 2_000_000_000, count: 1024 };
/** Each zygote needs its own id and one per live child (at most 256 per zygote). */
/** Three zygotes, each with an id and 256 runs, and the container lane's 64 runs. */
const MIN_COUNT = 3 * (1 + 256) + 64;
const MAX_ID = 0xfffffffe;

const describe = (ids: SandboxIds) => `${ids.first}-${ids.first + ids.count - 1}`;

/** Parses `UMCA_SANDBOX_UIDS` ("FIRST-LAST", inclusive). */
export function parseSandboxUids(text: string): SandboxIds {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
    throw new RunnerError(
      'invalid_option',
      `UMCA_SANDBOX_UIDS must be a range FIRST-LAST of host uids, such as ${describe(DEFAULT_SANDBOX_UIDS)}; got "${text}"`,
    );
  }
  return { first, count: last - first + 1 };
}

/** Checks a range: big enough, unprivileged, and owned by no account in /etc/passwd. */
export function checkSandboxUids(ids: SandboxIds, passwd = readPasswd()): SandboxIds {
  const fix = `choose another range with sandboxUids or UMCA_SANDBOX_UIDS (default ${describe(DEFAULT_SANDBOX_UIDS)})`;
  if (!Number.isSafeInteger(ids.first) || !Number.isSafeInteger(ids.count) || ids.first < 1000 || ids.first + ids.count - 1 > MAX_ID) {
    throw new RunnerError('invalid_option', `the sandbox uids ${describe(ids)} must lie between 1000 and ${MAX_ID}; ${fix}`);
  }
  if (ids.count < MIN_COUNT) {
    throw new RunnerError('invalid_option', `the sandbox uids ${describe(ids)} are ${ids.count}; at least ${MIN_COUNT} are needed; ${fix}`);
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    const id = Number(uid);
    if (name && Number.isInteger(id) && id >= ids.first && id < ids.first + ids.count) {
      throw new RunnerError(
        'invalid_option',
        `the sandbox uids ${describe(ids)} include ${id}, the uid of the account "${name}", whose processes could then signal sandboxes; ${fix}`,
      );
    }
  }
  return ids;
}

/** The last `count` ids for the container lane's runs, the rest for the zygotes. */
export function carveSandboxUids(ids: SandboxIds, count: number): [SandboxIds, SandboxIds] {
  return [
    { first: ids.first, count: ids.count - count },
    { first: ids.first + ids.count - count, count },
  ];
}

/** Splits the range between the zygotes (Python, JavaScript with WASI, and the Wasmtime lane's). */
export function splitSandboxUids(ids: SandboxIds, parts = 2): SandboxIds[] {
  const share = Math.floor(ids.count / parts);
  return Array.from({ length: parts }, (_, index) => ({ first: ids.first + index * share, count: share }));
}

function readPasswd(): string {
  try {
    return readFileSync('/etc/passwd', 'utf8');
  } catch {
    return '';
  }
}

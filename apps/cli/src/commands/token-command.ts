/**
 * @module token-command
 * `umca token`: UMCA's own tokens, for a team without an identity provider. `create` signs one
 * for a subject and roles (the first creates the signing key under the data directory), `rotate`
 * makes a new key current, `retire` drops the keys before it, `revoke` stops one token. A
 * running server hears of each within a second; no restart.
 */

import { resolve } from 'node:path';
import { AuthError, createLocalTokenStore } from '@umca/auth';
import { localTokenDir } from '@umca/orchestrator';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.js';

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const MAX_TTL_SECONDS = 366 * 86_400;

/** "30d", "12h", "90m", "3600s" or "3600" as seconds; throws UsageError naming the flag. */
export function parseTtl(text: string): number {
  const match = text.trim().match(/^(\d{1,9})([smhd]?)$/);
  const seconds = match ? Number(match[1]) * (UNITS[match[2] || 's'] as number) : Number.NaN;
  if (!match || seconds < 60 || seconds > MAX_TTL_SECONDS) {
    throw new UsageError(`--ttl takes a duration from 60s to 366d, like 30d, 12h or 90m, not ${JSON.stringify(text)}`);
  }
  return seconds;
}

const collect = (value: string, previous: string[]) => [
  ...previous,
  ...value
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean),
];

function storeFor(dataDir: string | undefined) {
  const dir = localTokenDir(resolve(dataDir ?? process.env.UMCA_DATA_DIR ?? '.umca'));
  return { dir, store: createLocalTokenStore({ dir }) };
}

async function run(action: () => Promise<void> | void): Promise<void> {
  try {
    await action();
  } catch (error) {
    if (error instanceof UsageError || error instanceof AuthError) {
      process.stderr.write(`umca: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

export function registerTokenCommand(program: Command): void {
  const token = program.command('token').description("UMCA's own tokens, for a team without an identity provider (docs/auth.md)");
  token
    .command('create')
    .description('Sign a token for a subject with roles; prints the token on stdout')
    .requiredOption('--role <role>', 'a role the policy names: viewer, developer, operator (repeatable, or comma-separated)', collect, [])
    .option('--sub <name>', 'who the token is for (default: a name made from the first role)')
    .option('--name <text>', 'a name for people, shown with their runs')
    .option('--ttl <duration>', 'how long it is valid: 30d, 12h, 90m (default 30d; at most 366d)', '30d')
    .option('--data-dir <dir>', "the server's data directory (default .umca; env UMCA_DATA_DIR)")
    .option('--json', 'print {token, jti, sub, roles, expiresAt} as JSON')
    .action((flags: { role: string[]; sub?: string; name?: string; ttl: string; dataDir?: string; json?: boolean }) =>
      run(async () => {
        if (flags.role.length === 0) throw new UsageError('--role needs at least one role, e.g. --role developer');
        const ttlSeconds = parseTtl(flags.ttl);
        const sub = flags.sub ?? `${flags.role[0]}-${Date.now().toString(36)}`;
        const { dir, store } = storeFor(flags.dataDir);
        const first = !store.exists();
        const issued = await store.issue({ sub, roles: flags.role, ttlSeconds, ...(flags.name ? { name: flags.name } : {}) });
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ token: issued.token, jti: issued.jti, sub, roles: flags.role, expiresAt: issued.expiresAt })}\n`,
          );
        } else {
          process.stdout.write(`${issued.token}\n`);
        }
        if (first) process.stderr.write(`umca: made a signing key in ${dir}; a server with this data directory now requires tokens\n`);
        process.stderr.write(
          `umca: token ${issued.jti} for ${sub} (${flags.role.join(', ')}), valid until ${issued.expiresAt.toISOString()}; send it as "Authorization: Bearer <token>"\n`,
        );
      }),
    );
  token
    .command('rotate')
    .description('Make a new signing key current; tokens signed before keep working unless --retire-previous')
    .option('--retire-previous', 'drop every earlier key: each token they signed stops working')
    .option('--data-dir <dir>', "the server's data directory (default .umca; env UMCA_DATA_DIR)")
    .action((flags: { retirePrevious?: boolean; dataDir?: string }) =>
      run(async () => {
        const { dir, store } = storeFor(flags.dataDir);
        if (!store.exists()) throw new UsageError(`there is no signing key in ${dir} to rotate; umca token create makes the first`);
        const { kid, retired } = await store.rotate({ retirePrevious: Boolean(flags.retirePrevious) });
        process.stderr.write(
          `umca: new tokens are signed with ${kid}${retired ? `; ${retired} earlier key(s) retired, their tokens no longer work` : ''}\n`,
        );
      }),
    );
  token
    .command('retire')
    .description("End a rotation: drop every key but the current one; tokens they signed stop working, the current key's keep working")
    .option('--data-dir <dir>', "the server's data directory (default .umca; env UMCA_DATA_DIR)")
    .action((flags: { dataDir?: string }) =>
      run(() => {
        const { dir, store } = storeFor(flags.dataDir);
        if (!store.exists()) throw new UsageError(`there is no signing key in ${dir} to retire; umca token create makes the first`);
        const { kid, retired } = store.retire();
        process.stderr.write(
          retired
            ? `umca: retired ${retired} earlier key(s), their tokens no longer work (a running server refuses them within a second); tokens signed with ${kid} keep working\n`
            : `umca: nothing to retire: ${kid} is the only key\n`,
        );
      }),
    );
  token
    .command('revoke')
    .description('Stop one token from working, by its id (jti) or the token itself')
    .argument('<token-or-id>', 'the token, or its id as `umca token create --json` printed it')
    .option('--data-dir <dir>', "the server's data directory (default .umca; env UMCA_DATA_DIR)")
    .action((tokenOrId: string, flags: { dataDir?: string }) =>
      run(() => {
        const { dir, store } = storeFor(flags.dataDir);
        if (!store.exists()) throw new UsageError(`there are no tokens in ${dir}: nothing to revoke`);
        const { jti } = store.revoke(tokenOrId.trim());
        process.stderr.write(`umca: token ${jti} is revoked; a running server refuses it within a second\n`);
      }),
    );
}

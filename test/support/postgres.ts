/**
 * @module postgres
 * A real PostgreSQL for the scale-out tests: `startPostgres()` makes a throwaway cluster with
 * Debian's `initdb` in a folder of its own, runs `postgres` on a free loopback port with password
 * (SCRAM) authentication, and can stop and start it again on the same data (a database restart),
 * or make a fresh database per test. As root, the server runs as the `postgres` user (PostgreSQL
 * refuses root), switched with setpriv so that the stop signal reaches it directly.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { findFreePort, logTail, startWatchedProcess, type WatchedProcess } from './watched-process.js';

const run = promisify(execFile);
/** Debian's postgresql package; PostgreSQL 15 on Debian 12. */
const BIN_CANDIDATES = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
const USER = 'umca';
/** Readiness polls, 100 ms apart: 600 allow a minute for a start that takes about a second. */
const READY_POLLS = 600;

export interface RunningPostgres {
  /** `postgres://umca:PASSWORD@127.0.0.1:PORT/umca` */
  readonly url: string;
  readonly port: number;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown: open connections are closed). Its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = BIN_CANDIDATES.find((candidate) => existsSync(join(candidate, 'postgres')));
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql (sh scripts/setup-test-tools.sh does)');
  const folder = mkdtempSync(join(tmpdir(), 'umca-postgres-'));
  const data = join(folder, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await postgresIds() : undefined;
  if (owner) chownSync(folder, owner.uid, owner.gid);
  const as = (command: string, args: string[]) =>
    owner ? { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', command, ...args] } : { command, args };
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(folder, 'password');
  writeFileSync(passwordFile, password);
  if (owner) chownSync(passwordFile, owner.uid, owner.gid);
  const initdb = as(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    USER,
    '--pwfile',
    passwordFile,
    '--auth-local=scram-sha-256',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  try {
    await run(initdb.command, initdb.args, { cwd: folder });
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`);
  }
  rmSync(passwordFile);
  const port = await findFreePort();
  const url = `postgres://${USER}:${password}@127.0.0.1:${port}/postgres`;
  const logFile = join(folder, 'postgres.log');
  if (owner) {
    writeFileSync(logFile, '');
    chownSync(logFile, owner.uid, owner.gid);
  }
  let server: WatchedProcess | undefined;

  const start = async () => {
    const postgres = as(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${folder}`,
      '-c',
      'max_connections=200',
      '-c',
      'fsync=off',
    ]);
    server = startWatchedProcess({
      ...postgres,
      cwd: folder,
      env: { PATH: process.env.PATH, LANG: 'C' },
      logFile,
      stopSignal: 'INT',
      stopGraceMs: 20_000,
    });
    for (let poll = 0; poll < READY_POLLS; poll++) {
      const code = server.exitCode();
      if (code !== undefined) throw new Error(`postgres exited (${code}) before it accepted connections:\n${logTail(logFile)}`);
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.end();
        return;
      } catch {
        await client.end().catch(() => {});
        await delay(100);
      }
    }
    throw new Error(`postgres did not accept connections after ${READY_POLLS} polls:\n${logTail(logFile)}`);
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  try {
    await start();
  } catch (error) {
    await stop();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  let databases = 0;
  return {
    url,
    port,
    async createDatabase(name = `umca_${process.pid}_${++databases}`) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    stop,
    start,
    async close() {
      await stop();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new Error('there is no postgres user: apt-get install -y postgresql creates it');
  });
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

/**
 * @module session-snapshot-files
 * Paused sessions as files, one per session, sealed: the snapshot encrypted with AES-256-GCM, the
 * session's record beside it in the clear (so a restart can list the sessions without decrypting
 * them) but authenticated with HMAC-SHA256, and both bound to the session's id, so that a file
 * changed, damaged, or copied over another session's is refused. The key is the server's: from
 * `UMCA_SESSION_KEY` (32 bytes, base64), else made once as `snapshot.key` beside the files (0600).
 * Whoever holds the key can read the snapshots; whoever has only the files cannot.
 *
 * A file: `UMCASNP1`, the record's length (4 bytes, big-endian), the record (JSON), its HMAC (32
 * bytes), the IV (12), the encrypted snapshot, the GCM tag (16). The GCM's associated data is
 * everything before the HMAC.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PausedSessionV1, type SessionSnapshotStoreV1, SnapshotRefusedError } from '@umca/contracts';

const MAGIC = Buffer.from('UMCASNP1', 'latin1');
const MAC_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_RECORD_BYTES = 1_048_576;
const SUFFIX = '.snap';

export interface SessionSnapshotFilesOptions {
  /** The folder that holds the files (made, 0700, when missing). */
  readonly dir: string;
  /** The sealing key, 32 bytes; absent: `UMCA_SESSION_KEY`, else the folder's `snapshot.key`. */
  readonly key?: Buffer;
  readonly env?: NodeJS.ProcessEnv;
}

/** The server's key: given, from the environment, or the folder's own (made on first use). */
function sealingKey(options: SessionSnapshotFilesOptions): Buffer {
  if (options.key) return options.key;
  const fromEnv = (options.env ?? process.env).UMCA_SESSION_KEY;
  if (fromEnv !== undefined) {
    const key = Buffer.from(fromEnv, 'base64');
    if (key.byteLength !== 32) {
      throw new Error(`UMCA_SESSION_KEY must be 32 bytes in base64 (it is ${key.byteLength}); make one with: openssl rand -base64 32`);
    }
    return key;
  }
  const path = join(options.dir, 'snapshot.key');
  if (!existsSync(path)) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, randomBytes(32));
      fsyncSync(fd);
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const key = readFileSync(path);
  if (key.byteLength !== 32)
    throw new Error(`${path} is not a 32-byte key; move it away to have a new one made (its snapshots are then lost)`);
  return key;
}

function validId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,200}$/.test(id);
}

export function openSessionSnapshotFiles(options: SessionSnapshotFilesOptions): SessionSnapshotStoreV1 {
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const master = sealingKey(options);
  const derive = (use: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `umca session snapshot ${use}`, 32));
  const encryptionKey = derive('encryption');
  const macKey = derive('record');
  const pathOf = (id: string) => {
    if (!validId(id)) throw new SnapshotRefusedError(`${JSON.stringify(id.slice(0, 200))} is not a session id`);
    return join(options.dir, `${id}${SUFFIX}`);
  };
  const mac = (head: Buffer) => createHmac('sha256', macKey).update(head).digest();

  /** The record at the start of `bytes` (the whole file, or its beginning), checked. */
  function readRecord(id: string, bytes: Buffer): { session: PausedSessionV1; end: number } {
    if (bytes.byteLength < MAGIC.byteLength + 4 || !bytes.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
      throw new SnapshotRefusedError(`the snapshot of session ${id} is not a sealed snapshot of this version`);
    }
    const length = bytes.readUInt32BE(MAGIC.byteLength);
    const headEnd = MAGIC.byteLength + 4 + length;
    if (length > MAX_RECORD_BYTES || bytes.byteLength < headEnd + MAC_BYTES) {
      throw new SnapshotRefusedError(`the snapshot of session ${id} is cut short`);
    }
    const head = bytes.subarray(0, headEnd);
    if (!timingSafeEqual(mac(head), bytes.subarray(headEnd, headEnd + MAC_BYTES))) {
      throw new SnapshotRefusedError(`the snapshot of session ${id} was changed or damaged, or sealed with another key: it is refused`);
    }
    const session = JSON.parse(head.subarray(MAGIC.byteLength + 4).toString('utf8')) as PausedSessionV1;
    if (session.view?.id !== id)
      throw new SnapshotRefusedError(`the file of session ${id} holds another session's snapshot: it is refused`);
    return { session, end: headEnd + MAC_BYTES };
  }

  return {
    async save(session, snapshot) {
      const path = pathOf(session.view.id);
      const record = Buffer.from(JSON.stringify(session), 'utf8');
      const length = Buffer.alloc(4);
      length.writeUInt32BE(record.byteLength);
      const head = Buffer.concat([MAGIC, length, record]);
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      cipher.setAAD(head);
      const sealed = [head, mac(head), iv, cipher.update(snapshot), cipher.final(), cipher.getAuthTag()];
      const partial = `${path}.part`;
      const fd = openSync(partial, 'w', 0o600);
      let bytes = 0;
      try {
        for (const part of sealed) {
          for (let at = 0; at < part.byteLength; ) at += writeSync(fd, part, at);
          bytes += part.byteLength;
        }
        fsyncSync(fd);
      } catch (error) {
        closeSync(fd);
        rmSync(partial, { force: true });
        throw error;
      }
      closeSync(fd);
      renameSync(partial, path);
      return { bytes };
    },
    async load(id) {
      let bytes: Buffer;
      try {
        bytes = await readFile(pathOf(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new SnapshotRefusedError(`the snapshot of session ${id} is gone`);
        throw error;
      }
      const { session, end } = readRecord(id, bytes);
      if (bytes.byteLength < end + IV_BYTES + TAG_BYTES) throw new SnapshotRefusedError(`the snapshot of session ${id} is cut short`);
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, bytes.subarray(end, end + IV_BYTES));
      decipher.setAAD(bytes.subarray(0, end - MAC_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.byteLength - TAG_BYTES));
      const body = decipher.update(bytes.subarray(end + IV_BYTES, bytes.byteLength - TAG_BYTES));
      try {
        decipher.final();
      } catch {
        throw new SnapshotRefusedError(`the snapshot of session ${id} was changed or damaged: it is refused`);
      }
      return { session, snapshot: body };
    },
    async list() {
      const sessions: PausedSessionV1[] = [];
      const refused: Array<{ id: string; why: string }> = [];
      for (const name of (await readdir(options.dir)).sort()) {
        if (!name.endsWith(SUFFIX)) continue;
        const id = name.slice(0, -SUFFIX.length);
        try {
          const fd = openSync(pathOf(id), 'r');
          try {
            const start = Buffer.alloc(MAGIC.byteLength + 4);
            readSync(fd, start, 0, start.byteLength, 0);
            const length = Math.min(start.byteLength >= 12 ? start.readUInt32BE(MAGIC.byteLength) : 0, MAX_RECORD_BYTES + 1);
            const head = Buffer.alloc(start.byteLength + length + MAC_BYTES);
            const read = readSync(fd, head, 0, head.byteLength, 0);
            sessions.push(readRecord(id, head.subarray(0, read)).session);
          } finally {
            closeSync(fd);
          }
        } catch (error) {
          refused.push({ id, why: (error as Error).message });
        }
      }
      return { sessions, refused };
    },
    async remove(id) {
      rmSync(pathOf(id), { force: true });
    },
  };
}

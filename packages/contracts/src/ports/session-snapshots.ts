/**
 * @module session-snapshots
 * `SessionSnapshotStoreV1`: where paused sessions wait, so that many sessions cost disk, not RAM,
 * and a restart of the server finds them again. Each holds the session as the service knows it
 * (its view, its owner, what its runner was opened with) and the runner's snapshot of its state.
 * A store keeps snapshots sealed: nobody who can read its files learns a session's state, and
 * a snapshot changed, damaged or moved to another session's place is refused, never loaded.
 */
import type { SessionView } from '../session.js';

/** What the service needs to resume a paused session, kept beside its snapshot. */
export interface PausedSessionV1 {
  readonly view: SessionView;
  /** Its owner (the principal's subject); absent when identity is off. */
  readonly owner?: string;
  /** What its runner was opened with (`SessionOptionsV1` less the policy, which the hosts rebuild). */
  readonly runner: { readonly memoryMb: number; readonly cpuSeconds: number };
}

export class SnapshotRefusedError extends Error {
  override readonly name = 'SnapshotRefusedError';
  readonly code = 'snapshot_refused';
}

export interface SessionSnapshotStoreV1 {
  /** Keeps the session and its snapshot (replacing one kept before under its id); resolves with the bytes kept. */
  save(session: PausedSessionV1, snapshot: Uint8Array): Promise<{ readonly bytes: number }>;
  /** The session and its snapshot; rejects with `SnapshotRefusedError` when it is missing, changed or damaged. */
  load(id: string): Promise<{ readonly session: PausedSessionV1; readonly snapshot: Uint8Array }>;
  /** The sessions kept (checked, without their snapshots), and those refused, with why. */
  list(): Promise<{
    readonly sessions: readonly PausedSessionV1[];
    readonly refused: ReadonlyArray<{ readonly id: string; readonly why: string }>;
  }>;
  /** Forgets the session's snapshot; nothing when there is none. */
  remove(id: string): Promise<void>;
}

/**
 * How the pool makes up its ready children: while one is still ready, one fork at a time (so a
 * run being handed over is not left waiting for a core behind two forks), and when none is, all
 * that are missing at once (a burst, a busy host).
 */
import { describe, expect, it } from 'vitest';
import { forksToStart } from '../src/host/sandbox-pool.js';

describe('forksToStart', () => {
  it('starts every missing child at once when none is ready (the first start, a burst)', () => {
    expect(forksToStart(0, 0, 2)).toBe(2);
    expect(forksToStart(0, 1, 4)).toBe(3);
  });

  it('starts one at a time while a ready child is left', () => {
    expect(forksToStart(1, 0, 2)).toBe(1);
    expect(forksToStart(1, 0, 4)).toBe(1);
    expect(forksToStart(1, 1, 4)).toBe(0);
    expect(forksToStart(3, 1, 8)).toBe(0);
  });

  it('starts nothing when the pool is full, or being filled', () => {
    expect(forksToStart(2, 0, 2)).toBe(0);
    expect(forksToStart(1, 1, 2)).toBe(0);
    expect(forksToStart(0, 2, 2)).toBe(0);
    expect(forksToStart(0, 0, 0)).toBe(0);
  });
});

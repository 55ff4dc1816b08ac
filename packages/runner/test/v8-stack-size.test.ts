/**
 * The V8 stack a sandbox gets, read from RLIMIT_STACK, and the recursion limit that follows.
 */
import { describe, expect, it } from 'vitest';
import { softStackLimit, v8StackKib, v8StackSizeFlags } from '../src/internal/v8-stack-size.js';
import { recursionCeiling } from '../src/sandbox/runtimes/python-runtime.js';

const limits = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \nMax stack size            ${soft}              unlimited            bytes     \n`;

describe('v8StackSizeFlags', () => {
  it('gives V8 the usual 8 MiB stack less a margin for native frames, and no more when unlimited', () => {
    expect(softStackLimit(limits('8388608'))).toBe(8_388_608);
    expect(v8StackSizeFlags(limits('8388608'))).toEqual(['--stack-size=7168']);
    expect(v8StackSizeFlags(limits('unlimited'))).toEqual(['--stack-size=7168']);
    expect(v8StackSizeFlags(limits('4194304'))).toEqual(['--stack-size=3072']);
  });

  it("keeps V8's default when the stack is small or cannot be read", () => {
    expect(v8StackSizeFlags(limits('1048576'))).toEqual([]);
    expect(v8StackSizeFlags('')).toEqual([]);
  });

  it('reads the size back from the command line, as the sandbox does', () => {
    expect(v8StackKib(['--single-threaded', '--stack-size=7168'])).toBe(7168);
    expect(v8StackKib(['--single-threaded'])).toBe(984);
    expect(recursionCeiling(7168)).toBe(35_840);
    expect(recursionCeiling(984)).toBe(4_920);
  });
});

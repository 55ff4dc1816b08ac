/**
 * @module whole-number-flag
 * A flag that takes a whole number in a range (`--timeout-ms`, `--memory-mb`, ...), checked where
 * it is typed, so the message names the flag, its unit and the range the contract allows.
 */
import { UsageError } from './usage-error.js';

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** What the number counts, e.g. "ms" or "MiB". */
  readonly unit?: string;
}

/** The number `value` stands for, or a UsageError such as `--memory-mb takes a whole number of MiB from 16 to 4096, not "1"`. */
export function wholeNumberFlag(value: string | undefined, flag: string, range: NumberRange): number | undefined {
  if (value === undefined) return undefined;
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (number >= range.min && number <= range.max) return number;
  const what = `a whole number${range.unit ? ` of ${range.unit}` : ''} from ${range.min} to ${range.max}`;
  throw new UsageError(`${flag} takes ${what}, not ${JSON.stringify(value)}`);
}

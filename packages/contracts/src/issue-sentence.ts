/**
 * @module issue-sentence
 * A problem zod found in a request, as the end of a sentence whose start names what the caller
 * typed: a flag (`--memory-mb`), a query parameter (`limit`), a path segment. zod's own wording
 * ("Too big: expected string to have <=200 characters") speaks of types, not of what to do.
 */

/** The parts of a zod issue a sentence needs. */
export interface IssueLike {
  readonly code?: string;
  readonly message: string;
  readonly maximum?: number | bigint;
  readonly minimum?: number | bigint;
  readonly origin?: string;
  readonly expected?: string;
  readonly values?: readonly unknown[];
}

/**
 * "is too long: at most 200 characters", "must be one of: a, b", "must be a whole number".
 *
 * @example
 * `--timeout-ms ${issueSentence(issue)}` // "--timeout-ms is too large: at most 300000"
 */
export function issueSentence(issue: IssueLike): string {
  const limit = issue.code === 'too_big' ? issue.maximum : issue.code === 'too_small' ? issue.minimum : undefined;
  if (limit !== undefined) {
    const most = issue.code === 'too_big';
    if (issue.origin === 'string') return `is too ${most ? 'long' : 'short'}: ${most ? 'at most' : 'at least'} ${limit} characters`;
    if (issue.origin === 'array') return most ? `is given too many times: at most ${limit}` : `is needed at least ${limit} time(s)`;
    return `is too ${most ? 'large' : 'small'}: ${most ? 'at most' : 'at least'} ${limit}`;
  }
  if (issue.code === 'invalid_value' && issue.values) return `must be one of: ${issue.values.join(', ')}`;
  // A schema's own message (`z.int({ error })`) says more than zod's "Invalid input: expected ...".
  if (issue.code === 'invalid_type' && !issue.message.startsWith('Invalid input') && issue.message) return issue.message;
  if (issue.code === 'invalid_type' && (issue.expected === 'int' || issue.expected === 'number')) {
    return issue.expected === 'int' ? 'must be a whole number' : 'must be a number';
  }
  return issue.message;
}

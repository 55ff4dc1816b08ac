/**
 * @module flag-problems
 * A request refused by @umca/policy, told in the words of the command line: each problem under
 * the flag the user typed (`--memory-mb 1`), not the request field it became (`limits.memoryMb`).
 */
import { type IssueLike, issueSentence, UmcaError } from '@umca/contracts';
import { UsageError } from './usage-error.js';

/** One problem the contract found, as @umca/policy lists them in `details.issues`. */
interface Issue extends IssueLike {
  readonly path: readonly PropertyKey[];
}

/** The flag (with what the user gave it) that a request field came from, or undefined if none did. */
export type FlagOf = (path: readonly PropertyKey[]) => string | undefined;

function issuesOf(error: UmcaError): readonly Issue[] {
  const issues = error.details?.issues;
  return Array.isArray(issues) ? (issues as Issue[]) : [];
}

/**
 * Rethrows a refused request as a UsageError that names flags. A problem no flag maps to keeps
 * the request's wording (it is then a defect of the command, not of what the user typed).
 */
export function rethrowInFlags(error: unknown, flagOf: FlagOf): never {
  if (!(error instanceof UmcaError)) throw error;
  const issues = issuesOf(error);
  if (issues.length === 0) throw new UsageError(error.message);
  // One line per field. zod reports a field's generic checks ("too short") before the contract's
  // own rule for it ("must be a relative path ...; this one is empty"), which says more: keep the last.
  const byField = new Map<string, Issue>();
  for (const issue of issues) byField.set(JSON.stringify(issue.path.map(String)), issue);
  const lines: string[] = [];
  for (const issue of byField.values()) {
    const flag = flagOf(issue.path);
    const line = flag ? `${flag} ${issueSentence(issue)}` : `${issue.path.map(String).join('.') || 'the request'}: ${issue.message}`;
    if (!lines.includes(line)) lines.push(line);
  }
  throw new UsageError(lines.join('; '));
}

/**
 * @module relative-path
 * The one rule for file names that cross the sandbox wall, in either direction: a relative,
 * normalised path that cannot climb out of the working directory and cannot change how a terminal
 * or a log line shows it. Input files and output files both follow it.
 */
import { z } from 'zod';

export const MAX_PATH_LENGTH = 255;

/**
 * One path part: not "." or "..", and none of "/", backslash, C0 controls, DEL, C1 controls, the
 * Unicode line and paragraph separators, or the bidirectional controls (which reorder what a
 * terminal shows).
 */
const PART = String.raw`(?!\.\.?(?:/|$))[^/\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+`;

/** The rule as a regular expression (ECMA-262, also the JSON Schema `pattern`); length and Unicode checks come on top. */
export const RELATIVE_PATH_PATTERN = new RegExp(`^${PART}(?:/${PART})*$`);

/** The rule in words, for schema descriptions. */
export const RELATIVE_PATH_RULE =
  `a relative path such as "data/input.csv": parts separated by "/", no leading "/", no empty, "." or ".." part, ` +
  `no backslash, no control, line-separator or bidirectional characters, valid Unicode, at most ${MAX_PATH_LENGTH} characters`;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LINE_OR_BIDI = /[\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /\p{Cs}/u;

const codePoint = (character: string) => `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * Says what is wrong with a path, or returns undefined when it follows the rule.
 *
 * @example
 * findPathProblem('ok/../../x'); // 'has a "." or ".." part'
 */
export function findPathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith('/')) return 'starts with "/"';
  const control = CONTROL.exec(path);
  if (control) return `has a control character (${codePoint(control[0])})`;
  const lineOrBidi = LINE_OR_BIDI.exec(path);
  if (lineOrBidi) return `has a line-separator or bidirectional character (${codePoint(lineOrBidi[0])})`;
  if (LONE_SURROGATE.test(path)) return 'is not valid Unicode (it has a lone surrogate)';
  if (path.includes('\\')) return 'has a backslash';
  const parts = path.split('/');
  if (parts.includes('')) return 'has an empty part ("//" or a trailing "/")';
  if (parts.some((part) => part === '.' || part === '..')) return 'has a "." or ".." part';
  return RELATIVE_PATH_PATTERN.test(path) ? undefined : 'does not follow the path rule';
}

const SHOWN_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const NEEDS_ESCAPE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;
export const MAX_SHOWN_PATH_LENGTH = 200;

/**
 * A path made safe to show (in a terminal, a log line, a JSON field meant for people): backslash,
 * control, line-separator and bidirectional characters and lone surrogates become escapes such as
 * `\n` and `\u001b`, and a long path is cut to 200 characters with "…". Never a name to use.
 */
export function escapePath(path: string): string {
  const escaped = path.replace(
    NEEDS_ESCAPE,
    (character) => SHOWN_ESCAPES[character] ?? `\\u${(character.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`,
  );
  const characters = Array.from(escaped);
  return characters.length > MAX_SHOWN_PATH_LENGTH ? `${characters.slice(0, MAX_SHOWN_PATH_LENGTH).join('')}…` : escaped;
}

const problemMessage = (input: unknown) =>
  `must be ${RELATIVE_PATH_RULE}; this one ${typeof input === 'string' ? (findPathProblem(input) ?? 'does not follow it') : 'is not a string'}`;

/** A path that follows the rule. The pattern is in the JSON Schema too; the Unicode check is not expressible there. */
export const relativePathSchema = z
  .string()
  .min(1)
  .max(MAX_PATH_LENGTH)
  .regex(RELATIVE_PATH_PATTERN, { error: (issue) => problemMessage(issue.input) })
  .refine((path) => !LONE_SURROGATE.test(path), { error: (issue) => problemMessage(issue.input) });

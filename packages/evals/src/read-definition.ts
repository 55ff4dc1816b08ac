/**
 * @module read-definition
 * Suite and gate files as the user wrote them: a file, or a folder holding `suite.json` (or
 * `gate.json`), parsed and validated with its versioned schema, every problem named by its field.
 * The file's SHA-256 goes into the report, so a verdict says exactly which suite it judged.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type EvalSuite, evalSuiteSchema, type Gate, gateSchema, issueSentence } from '@umca/contracts';
import type { z } from 'zod';
import { EvaluationError, type EvaluationErrorCode } from './evaluation-error.js';

export interface Definition<Value> {
  readonly value: Value;
  /** The file read (absolute). */
  readonly path: string;
  readonly sha256: string;
}

function readDefinition<Schema extends z.ZodType>(
  what: 'suite' | 'gate',
  code: EvaluationErrorCode,
  schema: Schema,
  given: string,
): Definition<z.infer<Schema>> {
  let path = resolve(given);
  let text: string;
  try {
    if (statSync(path).isDirectory()) path = join(path, `${what}.json`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new EvaluationError(
      code,
      missing
        ? `there is no ${what} at ${path}: give a ${what} file, or a folder holding ${what}.json`
        : `cannot read the ${what} ${path}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EvaluationError(code, `the ${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${fieldPath(issue.path) || '(the file)'} ${issueSentence(issue)}`).join('; ');
    throw new EvaluationError(code, `the ${what} ${path} is not a valid umca.${what === 'suite' ? 'eval.suite' : 'gate'}.v1: ${problems}`);
  }
  return { value: parsed.data, path, sha256: createHash('sha256').update(text).digest('hex') };
}

/** `["tasks", 1, "checks"]` → `tasks[1].checks`, as a user finds it in the file. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index ? '.' : ''}${String(part)}`)).join('');
}

/** Reads a suite (`evals/smoke` or `evals/smoke/suite.json`); throws EvaluationError('invalid_suite') naming the problem. */
export function readSuite(path: string): Definition<EvalSuite> {
  return readDefinition('suite', 'invalid_suite', evalSuiteSchema, path);
}

/** Reads a gate file; throws EvaluationError('invalid_gate') naming the problem. */
export function readGate(path: string): Definition<Gate> {
  return readDefinition('gate', 'invalid_gate', gateSchema, path);
}

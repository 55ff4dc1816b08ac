/**
 * @module read-request-part
 * A route's path segments, query parameters or headers, parsed with their schema. What breaks it
 * is refused in the caller's words: "query parameter limit is too large: at most 500 (it was
 * "501")", not zod's "✖ Too big: expected number to be <=500 → at limit". Bodies are accepted by
 * @umca/policy, which says the same of their fields.
 */
import { issueSentence } from '@umca/contracts';
import type { Context } from 'hono';
import type { z } from 'zod';
import { EdgeError } from './edge-error.js';

export type RequestPart = 'param' | 'query' | 'header';

const WHERE: Readonly<Record<RequestPart, string>> = { param: 'path parameter', query: 'query parameter', header: 'header' };

/** How long a given value may be before a message shortens it. */
const SHOWN_VALUE_CHARACTERS = 60;

/** A value as a message quotes it: escaped, and cut short when long ("xxx…", 201 characters). */
function shown(value: string): string {
  const text = JSON.stringify(value);
  return text.length > SHOWN_VALUE_CHARACTERS ? `${text.slice(0, SHOWN_VALUE_CHARACTERS - 1)}…", ${value.length} characters` : text;
}

function given(context: Context, part: RequestPart): Record<string, string> {
  if (part === 'param') return context.req.param() as Record<string, string>;
  if (part === 'query') return context.req.query();
  return context.req.header();
}

/**
 * Parses `part` of the request with `schema`; throws EdgeError('invalid_request') naming each
 * problem. A query parameter the route does not take is one (`?aftr=5` is a typo, not a wish to
 * be ignored); headers it does not take are none of its business.
 */
export function readRequestPart<Schema extends z.ZodObject>(context: Context, part: RequestPart, schema: Schema): z.output<Schema> {
  const values = given(context, part);
  if (part === 'query') {
    const known = Object.keys(schema.shape);
    const unknown = Object.keys(values).filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      const takes = known.length > 0 ? `it takes ${known.join(', ')}` : 'it takes none';
      throw new EdgeError('invalid_request', `this path takes no query parameter ${unknown.map(shown).join(', ')}; ${takes}`, {
        details: { issues: [{ code: 'unrecognized_keys', in: part, keys: unknown, path: [], message: `unknown: ${unknown.join(', ')}` }] },
      });
    }
  }
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const sentences = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '');
    const value = values[name];
    const subject = name ? `${WHERE[part]} ${name}` : `the ${WHERE[part]}s`;
    return `${subject} ${issueSentence(issue)}${value === undefined ? '' : ` (it was ${shown(value)})`}`;
  });
  throw new EdgeError('invalid_request', [...new Set(sentences)].join('; '), {
    details: { issues: parsed.error.issues.map(({ code, path, message }) => ({ code, in: part, path, message })) },
  });
}

/**
 * @module answers
 * The building blocks of each route's documented answers: a JSON body by component name, a
 * problem, and the headers every answer carries.
 */
import type { RouteConfig } from '@hono/zod-openapi';
import { type ComponentName, ref } from './component-schemas.js';

type Answer = RouteConfig['responses'][number];
type Content = NonNullable<Exclude<Answer, { $ref: string }>['content']>;

/** On every answer (request-id.ts): the caller's own id when it sent a sane one, else a new one. */
const REQUEST_ID = {
  'X-Request-Id': {
    description: 'The id of this request, also on every log line it caused: the `X-Request-Id` sent, or a new one.',
    schema: { type: 'string' },
    required: true,
  },
} as const;

/** Where an answer that names a run (`runId`) leads: the operations that take that run. */
export const RUN_LINKS = Object.fromEntries(
  (['getRun', 'cancelRun', 'streamRunEvents'] as const).map((operationId) => [
    operationId,
    { operationId, parameters: { id: '$response.body#/runId' }, description: `The run this answer names, through ${operationId}.` },
  ]),
);

/** A JSON answer whose body is the component `name`. */
export function jsonAnswer(
  description: string,
  name: ComponentName,
  headers: Record<string, unknown> = {},
  links?: Record<string, unknown>,
): Answer {
  return {
    description,
    headers: { ...REQUEST_ID, ...headers },
    content: { 'application/json': { schema: ref(name) } },
    ...(links ? { links } : {}),
  } as Answer;
}

/** An RFC 9457 problem: `detail` says what was wrong and how to fix it; `code` is stable. */
export function problemAnswer(description: string, headers: Record<string, unknown> = {}): Answer {
  return { description, headers: { ...REQUEST_ID, ...headers }, content: { 'application/problem+json': { schema: ref('Problem') } } };
}

/** Any other answer: a body of `content`, or none. */
export function answer(description: string, content?: Content): Answer {
  return { description, headers: REQUEST_ID, ...(content ? { content } : {}) };
}

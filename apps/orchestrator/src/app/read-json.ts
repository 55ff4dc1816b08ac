/**
 * @module read-json
 * The body of a request that starts a run, read as JSON once, for the policy to accept. A body
 * that is not JSON is the caller's 400, in words, not a 500.
 */
import type { Context } from 'hono';
import { EdgeError } from './edge-error.js';

export async function readJson(context: Context): Promise<unknown> {
  try {
    return await context.req.json();
  } catch (error) {
    throw new EdgeError(
      'invalid_json',
      `the request body is not valid JSON (${(error as Error).message}); send a JSON object with content-type application/json`,
      {
        cause: error,
      },
    );
  }
}

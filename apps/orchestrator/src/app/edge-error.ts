/**
 * @module edge-error
 * The HTTP edge's own refusals, for what only the edge can see: a path segment, query parameter or
 * header that breaks its schema, a body that is not JSON, a name with nothing behind it. Mapped
 * to problem+json like every other UMCA error.
 */
import { UmcaError } from '@umca/contracts';

export type EdgeErrorCode = 'invalid_request' | 'invalid_json' | 'not_found';

export class EdgeError extends UmcaError<EdgeErrorCode> {
  override readonly name = 'UMCA_EdgeError';
}

/**
 * @module edge-error
 * The HTTP edge's own refusals, for what only the edge can see: a body that is not JSON, an event
 * id that is not an offset, a path with nothing behind it. Mapped to problem+json like every other UMCA error.
 */
import { UmcaError } from '@umca/contracts';

export type EdgeErrorCode = 'invalid_json' | 'invalid_event_id' | 'not_found';

export class EdgeError extends UmcaError<EdgeErrorCode> {
  override readonly name = 'UMCA_EdgeError';
}

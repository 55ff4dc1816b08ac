/**
 * @module usage-error
 * A mistake in how the command was called. The CLI prints its message and exits with code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UMCA_UsageError';
}

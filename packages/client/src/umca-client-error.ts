/**
 * @module umca-client-error
 * The one base error of `@umca/client`. Its `code` is stable: switch on it, not on the message.
 */

/**
 * - `server_unreachable`: no answer from the server (not running, wrong address, network down).
 * - `api_error`: the server answered with a problem (an {@link UmcaApiError}).
 * - `unexpected_response`: the answer is not what UMCA sends (is `baseUrl` a UMCA server?).
 * - `invalid_base_url`: `baseUrl` is not an http(s) URL.
 */
export type UmcaClientErrorCode = 'server_unreachable' | 'api_error' | 'unexpected_response' | 'invalid_base_url';

export class UmcaClientError extends Error {
  override readonly name: string = 'UmcaClientError';
  readonly code: UmcaClientErrorCode;

  constructor(code: UmcaClientErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

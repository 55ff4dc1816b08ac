/**
 * @module check-allow-host-flags
 * `--allow-host` entries checked one by one where they are typed, so a malformed one is reported
 * under the flag (`--allow-host "example.com" has no scheme ...`), not as `allowedOutboundHosts`.
 */
import { PolicyError, parseAllowedHostRule } from '@umca/policy';
import { UsageError } from './usage-error.js';

/** Throws a UsageError naming the first entry that does not follow Spin's `allowed_outbound_hosts` syntax. */
export function checkAllowHostFlags(entries: readonly string[], flag = '--allow-host'): void {
  for (const entry of entries) {
    try {
      parseAllowedHostRule(entry);
    } catch (error) {
      if (!(error instanceof PolicyError)) throw error;
      // The policy's message starts with the field it guards; the rest says what is wrong and how to write it.
      throw new UsageError(`${flag} ${error.message.replace(/^allowedOutboundHosts entry /, '')}`);
    }
  }
}

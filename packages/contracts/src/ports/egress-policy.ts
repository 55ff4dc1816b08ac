/**
 * @module egress-policy
 * `EgressPolicyV1`: where a run may send HTTP(S) requests, built once from the request's
 * `allowedOutboundHosts` (Spin's syntax and meaning) when the request is accepted, then consulted
 * by whatever carries the run's requests out. Deny by default: an empty policy allows nothing.
 */

/** A URL a rule allows, as the connection will use it. */
export interface EgressTargetV1 {
  readonly url: URL;
  readonly scheme: string;
  /** The host as the WHATWG URL parser normalized it; an IPv6 literal without brackets. */
  readonly host: string;
  readonly port: number;
  readonly isIpLiteral: boolean;
  /** The `allowedOutboundHosts` entry that matched, as the caller wrote it. */
  readonly rule: string;
}

export type EgressUrlVerdictV1 =
  | { readonly allowed: true; readonly target: EgressTargetV1 }
  | { readonly allowed: false; readonly reason: string };

export type EgressAddressVerdictV1 =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly reason: string };

export interface EgressPolicyV1 {
  readonly specificationVersion: 'v1';
  /** The entries the policy was built from; empty means no network. */
  readonly allowedOutboundHosts: readonly string[];
  /** Checks a URL against the rules (scheme, host, port). */
  checkUrl(url: string): EgressUrlVerdictV1;
  /** Picks the first resolved address the policy allows for `target`, or says why none is. */
  checkAddresses(target: EgressTargetV1, addresses: readonly string[]): EgressAddressVerdictV1;
}

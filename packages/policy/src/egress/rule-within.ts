/**
 * @module rule-within
 * Whether one `allowedOutboundHosts` rule asks for no more than another: the request's entry
 * against a role's ceiling. A request may narrow its role's reach (one host of `*.example.com`,
 * one port of a range), never widen it.
 */
import ipaddr from 'ipaddr.js';
import { networkContains } from './address-class.js';
import type { AllowedHostRule, HostPattern, PortPattern } from './allowed-host-rule.js';

function portWithin(rule: PortPattern, ceiling: PortPattern): boolean {
  if (ceiling.kind === 'any') return true;
  if (rule.kind === 'any') return false;
  return ceiling.start <= rule.start && rule.end <= ceiling.end;
}

function bare(name: string): string {
  return name.replace(/^\[(.*)\]$/, '$1');
}

function hostWithin(rule: HostPattern, ceiling: HostPattern): boolean {
  switch (ceiling.kind) {
    case 'any':
      return true;
    case 'subdomain':
      if (rule.kind === 'name') return rule.name.endsWith(ceiling.suffix);
      if (rule.kind === 'subdomain') return rule.suffix.endsWith(ceiling.suffix);
      return false;
    case 'name':
      return rule.kind === 'name' && rule.name === ceiling.name;
    case 'cidr': {
      if (rule.kind === 'name') return ipaddr.isValid(bare(rule.name)) && networkContains(ceiling.network, bare(rule.name));
      if (rule.kind !== 'cidr') return false;
      const [address, length] = rule.network;
      return address.kind() === ceiling.network[0].kind() && length >= ceiling.network[1] && address.match(ceiling.network);
    }
  }
}

/** Whether everything `rule` allows, `ceiling` allows too. */
export function ruleWithin(rule: AllowedHostRule, ceiling: AllowedHostRule): boolean {
  const schemeWithin = ceiling.scheme === '*' || rule.scheme === ceiling.scheme;
  return schemeWithin && portWithin(rule.port, ceiling.port) && hostWithin(rule.host, ceiling.host);
}

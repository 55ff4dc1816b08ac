/**
 * @module allowed-outbound-hosts
 * `allowedOutboundHosts`: where a run's HTTP(S) may go, in Spin's `allowed_outbound_hosts` syntax.
 * The pattern here is the syntax's shape, stated for schema readers and generated clients: every
 * entry the policy accepts matches it. What a pattern cannot say (a port range that ends before
 * it starts, an IP address or CIDR block that does not parse, a scheme with no well-known port and
 * no port given) the policy refuses with a 400 `invalid_allowed_host` that names the entry.
 */
import { z } from 'zod';

const NAME = '[A-Za-z0-9.-]+';
const HOST = String.raw`\*|\*\.${NAME}|${NAME}(?:/\d+)?|\[[0-9A-Za-z:.%]+\](?:/\d+)?`;
const PORT = String.raw`\*|\d{1,5}(?:\.\.\d{1,5})?`;

/** The shape of one entry: `scheme://host[:port]`, optionally ending in "/". */
export const ALLOWED_HOST_PATTERN = new RegExp(String.raw`^(?:\*|[A-Za-z]+)://(?:${HOST})(?::(?:${PORT}))?/?$`);

export const allowedOutboundHostSchema = z
  .string()
  .min(1)
  .max(512)
  // In the metadata, not as a zod check: the policy parses each entry and says exactly what is wrong with it.
  .meta({ pattern: ALLOWED_HOST_PATTERN.source });

export const allowedOutboundHostsSchema = z
  .array(allowedOutboundHostSchema)
  .max(100)
  .describe(
    'Hosts the code may reach over HTTP(S), in Spin\'s `allowed_outbound_hosts` syntax: scheme://host[:port], e.g. "https://api.example.com", "https://*.example.com:8443", "http://10.0.0.0/8:8080" or "*://*:*". Absent or empty: no network. An entry the policy cannot accept (an empty port range, a bad CIDR block, a scheme with no well-known port and no port) is a 400 `invalid_allowed_host` naming it.',
  );

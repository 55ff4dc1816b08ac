/**
 * @module rocketmq-address
 * `rocketmq://host:port`: the RocketMQ 5 proxy's gRPC endpoint (8081 by default), as `--bus`
 * takes it, checked before any connection.
 */
import { UmcaError } from '@umca/contracts';

export class BusError extends UmcaError<'invalid_url' | 'unavailable' | 'missing_topic'> {
  override readonly name = 'UMCA_BusError';
}

const DEFAULT_PORT = 8081;

/** The client's `endpoints` (`host:port`); throws BusError('invalid_url') in the words of `what` (`--bus`). */
export function parseRocketMqAddress(url: string, what = 'the bus URL'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BusError('invalid_url', `${what} '${url}' is not a URL: write rocketmq://host:8081 (the RocketMQ proxy's gRPC port)`);
  }
  if (parsed.protocol !== 'rocketmq:') {
    throw new BusError('invalid_url', `${what} '${url}' must start with rocketmq:// (or be 'embedded'): write rocketmq://host:8081`);
  }
  if (!parsed.hostname) throw new BusError('invalid_url', `${what} '${url}' names no host: write rocketmq://host:8081`);
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.username) {
    throw new BusError('invalid_url', `${what} '${url}' has more than a host and port: write rocketmq://host:8081`);
  }
  return `${parsed.hostname}:${parsed.port || DEFAULT_PORT}`;
}

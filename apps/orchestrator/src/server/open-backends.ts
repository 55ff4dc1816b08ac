/**
 * @module open-backends
 * The store and the bus a process runs on, from its settings: the embedded pair (SQLite in the
 * data directory and the in-process bus) by default; PostgreSQL with the shared bus when scaled out,
 * with RocketMQ as its signal (or, without a broker, polling). Shared by `umca serve` and `umca
 * worker`, with what readiness reports about each.
 */
import type { EventBusV1, Logger, StoreV1 } from '@umca/contracts';
import { createEmbeddedBus, openRocketMqBusSignal, openSharedBus, POLLING_ONLY, parseRocketMqAddress, type SharedBus } from '@umca/events';
import { describePostgresUrl, openPostgresStore, openSqliteStore, type SlotHold } from '@umca/store';
import type { DependencyState } from '../app/app-deps.js';
import { busKind, storeKind } from '../config/check-scale-out.js';

/** Consumer groups `umca-replica-0` to `-15`, made by scripts/rocketmq-topics.sh: servers plus workers on one broker. */
export const REPLICA_GROUPS = 16;

export interface BackendSettings {
  readonly dataDir: string;
  /** `embedded` or a postgres:// URL (checked by the configuration). */
  readonly store?: string;
  /** `embedded` or a rocketmq:// URL (checked by the configuration). */
  readonly bus?: string;
}

export interface Backends {
  readonly store: StoreV1;
  readonly bus: EventBusV1;
  /** Other processes use this store too: runs left unfinished are theirs to finish, not this one's to end. */
  readonly shared: boolean;
  dependencies(): Promise<DependencyState[]>;
  close(): Promise<void>;
}

export async function openBackends(settings: BackendSettings, logger: Logger): Promise<Backends> {
  const storeUrl = settings.store ?? 'embedded';
  const busUrl = settings.bus ?? 'embedded';
  if (storeKind(storeUrl) === 'embedded') {
    const store = openSqliteStore({ dataDir: settings.dataDir });
    return {
      store,
      bus: createEmbeddedBus({ log: store.events }),
      shared: false,
      dependencies: async () => [await storeState(store, 'sqlite'), { name: 'bus', kind: 'embedded', status: 'up' }],
      close: () => store.close(),
    };
  }
  const store = await openPostgresStore({
    url: storeUrl,
    onIdleError: (error) =>
      logger.warn({ err: error }, `the PostgreSQL store ${describePostgresUrl(storeUrl)}: an idle connection failed; it is replaced`),
  });
  if (store.migration.from !== store.migration.to) {
    logger.info(`migrated the PostgreSQL store ${store.location} from schema ${store.migration.from} to ${store.migration.to}`);
  }
  let bus: SharedBus;
  let slot: SlotHold | undefined;
  let signalKind: 'rocketmq' | 'polling' = 'polling';
  let pollingWhy: string | undefined;
  try {
    let signal = POLLING_ONLY;
    if (busKind(busUrl) === 'rocketmq') {
      // Each process reads the events topic in a consumer group of its own, from a pool made in
      // advance (RocketMQ's proxy refuses groups it does not know); PostgreSQL says which is free.
      slot = await store.holdSlot('umca-replica', REPLICA_GROUPS);
      if (slot) {
        signal = await openRocketMqBusSignal({
          endpoints: parseRocketMqAddress(busUrl),
          consumerGroup: `umca-replica-${slot.slot}`,
          logger,
        });
        signalKind = 'rocketmq';
      } else {
        pollingWhy = `all ${REPLICA_GROUPS} consumer groups umca-replica-0..${REPLICA_GROUPS - 1} are held by other servers and workers; this one looks for new events every second instead (make more with scripts/rocketmq-topics.sh)`;
        logger.warn(pollingWhy);
      }
    }
    bus = await openSharedBus({
      log: store.events,
      signal,
      onAnnounceFailed: (error, stored) =>
        logger.warn(
          { err: error, offset: stored.offset },
          'an event could not be announced on the bus; other replicas see it at their next poll',
        ),
    });
  } catch (error) {
    await slot?.release().catch(() => {});
    await store.close();
    throw error;
  }
  return {
    store,
    bus,
    shared: true,
    async dependencies() {
      const signal = bus.signalState();
      return [
        await storeState(store, 'postgres'),
        {
          name: 'bus',
          kind: signalKind,
          status: signal.up ? 'up' : 'down',
          ...(signal.detail || pollingWhy ? { detail: signal.detail ?? pollingWhy } : {}),
        },
      ];
    },
    async close() {
      await bus.close();
      await slot?.release().catch(() => {});
      await store.close();
    },
  };
}

async function storeState(store: StoreV1, kind: 'sqlite' | 'postgres'): Promise<DependencyState> {
  try {
    await store.check();
    return { name: 'store', kind, status: 'up' };
  } catch (error) {
    return { name: 'store', kind, status: 'down', detail: (error as Error).message };
  }
}

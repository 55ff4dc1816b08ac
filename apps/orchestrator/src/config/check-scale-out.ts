/**
 * @module check-scale-out
 * The store, the bus and where runs execute, checked together before anything is opened: each
 * URL's form, and the combinations that cannot work (remote workers need a broker and a shared
 * store; a broker needs a shared store, since offsets come from it). Problems are named by the
 * flag, variable or file key they came from.
 */
import { BusError, parseRocketMqAddress } from '@umca/events';
import { checkPostgresUrl, StoreError } from '@umca/store';

export interface ScaleOutSettings {
  readonly store: string;
  readonly bus: string;
  readonly workers?: 'local' | 'remote';
}

type Sources = Readonly<Partial<Record<'store' | 'bus' | 'workers', string>>>;

/** `embedded`, or a checked postgres:// URL. */
export function storeKind(store: string): 'embedded' | 'postgres' {
  return store === 'embedded' ? 'embedded' : 'postgres';
}

/** `embedded`, or a checked rocketmq:// URL. */
export function busKind(bus: string): 'embedded' | 'rocketmq' {
  return bus === 'embedded' ? 'embedded' : 'rocketmq';
}

/** Problems with the settings, each in one sentence; `role: 'worker'` for `umca worker`, which needs both a broker and PostgreSQL. */
export function checkScaleOut(settings: ScaleOutSettings, sources: Sources = {}, role: 'server' | 'worker' = 'server'): string[] {
  const problems: string[] = [];
  const storeName = sources.store?.split(/[ =]/)[0] ?? '--store';
  const busName = sources.bus?.split(/[ =]/)[0] ?? '--bus';
  const workersName = sources.workers?.split(/[ =]/)[0] ?? '--workers';
  if (settings.store !== 'embedded') {
    try {
      checkPostgresUrl(settings.store, storeName);
    } catch (error) {
      if (!(error instanceof StoreError)) throw error;
      problems.push(`${error.message}; or 'embedded' for the SQLite store in the data directory`);
    }
  }
  if (settings.bus !== 'embedded') {
    try {
      parseRocketMqAddress(settings.bus, busName);
    } catch (error) {
      if (!(error instanceof BusError)) throw error;
      problems.push(error.message);
    }
    if (settings.store === 'embedded') {
      problems.push(
        `${busName}: a broker shares events between replicas, and they need one store to number them: give ${storeName} postgres://user:password@host:5432/db (docs/scale-out.md)`,
      );
    }
  }
  if (role === 'worker' && (settings.bus === 'embedded' || settings.store === 'embedded')) {
    problems.push(
      `umca worker takes runs from RocketMQ and records them in PostgreSQL, as the servers it works for: give ${busName} rocketmq://host:8081 and ${storeName} postgres://... (docs/scale-out.md)`,
    );
  } else if (settings.workers === 'remote' && (settings.bus === 'embedded' || settings.store === 'embedded')) {
    problems.push(
      `${workersName} remote: runs reach workers through RocketMQ and are recorded in PostgreSQL: give ${busName} rocketmq://host:8081 and ${storeName} postgres://... (docs/scale-out.md)`,
    );
  }
  return problems;
}

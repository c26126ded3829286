import { type DeviceFeatureState, type FeatureSpec, initialDeviceState, stepFeatures } from '../../features';
import type { Reading } from '../../telemetry/reading';
import { BoundedLru } from '../bounded-lru';
import type { PreviousReport } from './documents';

/**
 * Per-device feature history of one Lambda instance: a bounded LRU of the streaming evaluator's carry-over state.
 *
 * Semantics vs the SQL (which sees a device's whole stream):
 * - `delta` is always exact: the shadow's `previous` is the device's previous reading, and the carried state is
 *   used only when its last reading *is* that previous one (`chained`); otherwise the state is re-seeded from
 *   `previous` alone.
 * - rolling mean/std over k and seconds-since-crossing are exact while this instance has seen the device's
 *   readings back to the start of its stream (local runtime: always). After a cold start, an eviction, or when
 *   another concurrent instance handled the device's last reading, they are computed from `previous` + current
 *   only (a shorter window; crossing time counted from `previous`) until k readings have passed here again.
 *   That is best-effort by design: the alternative, storing the state in the shadow, would put it into every
 *   `update/delta` the thermostat receives, and a named shadow would cost a read and a write per reading.
 */
export type HistorySource = 'chained' | 'seeded' | 'fresh';

/**
 * Whether the carried state's last reading is the shadow's previous one, told by its time. A numeric device
 * time needs no parse: the carried state was built from that reading, validated when it was the current one.
 */
function endsAtPrevious(carried: DeviceFeatureState, previous: PreviousReport, current: Reading): boolean {
  if (previous.ts !== undefined) return carried.lastTs === previous.ts && previous.ts < current.ts;
  const prior = previous.reading();
  return prior !== undefined && carried.lastTs === prior.ts;
}

export class DeviceHistory {
  private readonly states: BoundedLru<string, DeviceFeatureState>;

  constructor(readonly maxDevices: number) {
    this.states = new BoundedLru(maxDevices, 'maxDevices');
  }

  get size(): number {
    return this.states.size;
  }

  /**
   * The feature vector of `current` and where its history came from. The state advances only when `current` is
   * newer than everything seen for the device, so a re-delivered or late reading is answered without corrupting it.
   */
  features(spec: FeatureSpec, current: Reading, previous: PreviousReport): { vector: number[]; source: HistorySource } {
    const carried = this.states.get(current.thingName);
    let state: DeviceFeatureState;
    let source: HistorySource;
    if (carried !== undefined && endsAtPrevious(carried, previous, current)) {
      state = carried;
      source = 'chained';
    } else {
      const prior = previous.reading();
      state = prior === undefined ? initialDeviceState() : stepFeatures(spec, initialDeviceState(), prior).state;
      source = prior === undefined ? 'fresh' : 'seeded';
    }
    const step = stepFeatures(spec, state, current);
    const newest = carried?.lastTs ?? Number.NEGATIVE_INFINITY;
    if (current.ts > newest) this.states.set(current.thingName, step.state);
    return { vector: step.vector, source };
  }
}

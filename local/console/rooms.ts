import type { ShadowDocumentSnapshot } from '../iot/shadow-service';

/** One room on the dashboard's live occupancy widget: what the inference Lambda last wrote to `desired`. */
export interface RoomOccupancyView {
  readonly thingName: string;
  readonly occupied: boolean | null;
  readonly probability: number | null;
  readonly source: string | null;
  readonly model: string | null;
  /** Seconds since the shadow's `desired.roomOccupancy` was last written (from the shadow metadata). */
  readonly ageSeconds: number | null;
}

const asNumber = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const asString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Shadow documents → rows, sorted by thing name; rooms the Lambda has not answered yet show nulls. Pure. */
export function roomOccupancyView(
  shadows: readonly { thingName: string; document: ShadowDocumentSnapshot }[],
  now: number,
): RoomOccupancyView[] {
  return shadows
    .map(({ thingName, document }) => {
      const desired = (document.state.desired ?? {}) as Record<string, unknown>;
      const written = (document.metadata.desired ?? {}) as Record<string, unknown>;
      const at = asNumber((written.roomOccupancy as { timestamp?: unknown } | undefined)?.timestamp);
      return {
        thingName,
        occupied: typeof desired.roomOccupancy === 'boolean' ? desired.roomOccupancy : null,
        probability: asNumber(desired.occupancyProbability),
        source: asString(desired.occupancySource),
        model: asString(desired.occupancyModel),
        // Shadow metadata timestamps are epoch seconds, as on AWS.
        ageSeconds: at === null ? null : Math.max(0, Math.round(now / 1000 - at)),
      };
    })
    .sort((a, b) => a.thingName.localeCompare(b.thingName));
}

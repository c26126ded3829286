import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabelResolver } from '../../local/commands/import-labels';
import type { LabelEvent } from '../../telemetry/reading';

/** Deterministic pseudo-random labels with many repeats of a few (device, time) keys. */
function labels(n: number): LabelEvent[] {
  let x = 12345;
  const next = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 16) % m;
  };
  return Array.from({ length: n }, () => ({
    thingName: `room-${next(7)}`,
    ts: 1_767_225_600_000 + next(300) * 60_000,
    occupied: next(2) === 1,
  }));
}

/** The rule, written the obvious way: the last label of each key wins; a key whose labels disagree is a conflict. */
function expected(all: LabelEvent[]): { winners: Map<string, boolean>; conflicting: number } {
  const winners = new Map<string, boolean>();
  const seen = new Map<string, Set<boolean>>();
  for (const l of all) {
    const key = `${l.thingName}|${l.ts}`;
    winners.set(key, l.occupied);
    seen.set(key, (seen.get(key) ?? new Set()).add(l.occupied));
  }
  return { winners, conflicting: [...seen.values()].filter((s) => s.size > 1).length };
}

describe('LabelResolver: last received wins, in bounded memory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'labels-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['in one bucket', 1_000_000],
    ['split over hash buckets', 100],
  ])('%s: keeps the last label of each (device, time) and counts the disagreeing ones', async (_, bucketLabels) => {
    const all = labels(5000);
    const resolver = new LabelResolver(dir, bucketLabels);
    for (const l of all) resolver.add(l);
    const out: LabelEvent[] = [];
    const result = await resolver.resolve((batch) => out.push(...batch));
    const want = expected(all);
    expect(result).toEqual({ labels: want.winners.size, conflicting: want.conflicting });
    expect(want.conflicting).toBeGreaterThan(0);
    expect(new Map(out.map((l) => [`${l.thingName}|${l.ts}`, l.occupied]))).toEqual(want.winners);
    expect(out).toHaveLength(want.winners.size);
    resolver.dispose();
    expect(readdirSync(join(dir, '_staging'))).toEqual([]);
  });

  it('resolves nothing when nothing was staged', async () => {
    const resolver = new LabelResolver(dir);
    expect(await resolver.resolve(() => undefined)).toEqual({ labels: 0, conflicting: 0 });
    resolver.dispose();
  });
});

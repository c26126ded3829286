/**
 * A map bounded by count that drops the least recently used entry first. `set` makes an entry the most recent
 * (Map iteration order is insertion order, so the oldest is first); `get` does not. Used where a long-running
 * process keys state by device name, which an unbounded fleet would otherwise grow without end.
 */
export class BoundedLru<K, V> {
  private readonly entries = new Map<K, V>();

  /** @param what names the bound in the error for a bad `max` (e.g. `maxDevices`). */
  constructor(
    readonly max: number,
    what: string,
    private readonly onEvict: (key: K, value: V) => void = () => undefined,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`${what} must be a positive integer, got ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` as the most recently used entry, then drops the oldest beyond `max`. */
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const [oldest, dropped] of this.entries) {
      if (this.entries.size <= this.max) break;
      this.evict(oldest, dropped);
    }
  }

  /** Drops an entry as the bound would (`onEvict` is called). */
  evict(key: K, value: V): void {
    this.entries.delete(key);
    this.onEvict(key, value);
  }

  /** Oldest (least recently used) first. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries.entries();
  }
}

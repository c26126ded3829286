import { BoundedLru } from '../../tasks/bounded-lru';

describe('BoundedLru', () => {
  it('drops the least recently set entry beyond its bound, telling onEvict', () => {
    const evicted: string[] = [];
    const lru = new BoundedLru<string, number>(2, 'maxDevices', (key) => evicted.push(key));
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 3); // a is now the most recent
    lru.set('c', 4);
    expect(evicted).toEqual(['b']);
    expect([...lru]).toEqual([
      ['a', 3],
      ['c', 4],
    ]);
    expect(lru.get('a')).toBe(3); // get does not change the order
    lru.set('d', 5);
    expect(evicted).toEqual(['b', 'a']);
    expect(lru.size).toBe(2);
  });

  it('evict drops an entry as the bound would', () => {
    const evicted: string[] = [];
    const lru = new BoundedLru<string, number>(3, 'maxShadows', (key) => evicted.push(key));
    lru.set('a', 1);
    lru.evict('a', 1);
    expect(lru.get('a')).toBeUndefined();
    expect(evicted).toEqual(['a']);
  });

  it('refuses a bound that is not a positive integer, naming it', () => {
    expect(() => new BoundedLru(0, 'maxDevices')).toThrow('maxDevices must be a positive integer, got 0');
    expect(() => new BoundedLru(1.5, 'maxShadows')).toThrow(RangeError);
  });
});

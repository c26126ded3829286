import { REJECTED_SAMPLE, RejectionTally } from '../../local/commands/import-stream';

describe('RejectionTally: rejected rows counted and grouped, never all kept', () => {
  it('groups by field and reason without the offending value, caps the reasons and the sample', () => {
    const tally = new RejectionTally();
    for (let line = 1; line <= 5000; line++) {
      tally.add({ line, field: 'sound', reason: `sound: out of physical range [0, 200], got ${line * 1000}` });
      // JSON.parse's detail differs by position and quotes the input: still one reason.
      tally.add({ line, field: '$', reason: `$: payload is not valid JSON (Unexpected token '${line}' at ${line})` });
      tally.add({ line, field: `c${line}`, reason: `c${line}: missing value` });
    }
    expect(tally.count).toBe(15_000);
    expect(tally.sample).toHaveLength(REJECTED_SAMPLE);
    expect(tally.byReason['sound: out of physical range [0, 200]']).toBe(5000);
    expect(tally.byReason['$: payload is not valid JSON']).toBe(5000);
    const reasons = Object.keys(tally.byReason);
    expect(reasons).toHaveLength(21);
    expect(tally.byReason['other reasons']).toBe(5000 - 18);
    expect(JSON.stringify(tally.byReason).length).toBeLessThan(2000);
    expect(tally.top(2)).toBe('5000× sound: out of physical range [0, 200]; 5000× $: payload is not valid JSON');
  });
});

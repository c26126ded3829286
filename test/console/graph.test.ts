import { InvalidDefinitionError, stateGraph, summariseStates } from '../../local/console/graph';

const definition = {
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Next: 'Fork', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failed' }] },
    Fork: {
      Type: 'Parallel',
      Next: 'Check',
      Branches: [
        { StartAt: 'B1', States: { B1: { Type: 'Task', End: true } } },
        { StartAt: 'C1', States: { C1: { Type: 'Pass', Next: 'C2' }, C2: { Type: 'Task', End: true } } },
      ],
    },
    Check: { Type: 'Choice', Choices: [{ Variable: '$.x', BooleanEquals: true, Next: 'Done' }], Default: 'A' },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail' },
  },
};

describe('stateGraph', () => {
  const graph = stateGraph(definition);
  const node = (name: string) => graph.nodes.find((n) => n.name === name);

  it('draws every state, nested branch states included, with its type and parent', () => {
    expect(graph.nodes.map((n) => n.name).sort()).toEqual(['A', 'B1', 'C1', 'C2', 'Check', 'Done', 'Failed', 'Fork']);
    expect(node('C2')).toMatchObject({ type: 'Task', parent: 'Fork' });
    expect(node('A')?.parent).toBeUndefined();
  });

  it('connects Next, Choice, Catch, branch starts and branch ends to what follows the Parallel', () => {
    const has = (from: string, to: string, kind: string) =>
      graph.edges.some((e) => e.from === from && e.to === to && e.kind === kind);
    expect(has('A', 'Fork', 'next')).toBe(true);
    expect(has('A', 'Failed', 'catch')).toBe(true);
    expect(has('Fork', 'B1', 'branch')).toBe(true);
    expect(has('Fork', 'C1', 'branch')).toBe(true);
    expect(has('B1', 'Check', 'join')).toBe(true);
    expect(has('C2', 'Check', 'join')).toBe(true);
    expect(has('Check', 'Done', 'choice')).toBe(true);
    expect(has('Check', 'A', 'choice')).toBe(true);
  });

  it('puts each state below every state leading to it, loops not pushing states down', () => {
    expect(node('A')?.layer).toBe(0);
    expect(node('Fork')?.layer).toBe(1);
    expect(node('Failed')?.layer).toBe(1);
    expect(node('B1')?.layer).toBe(2);
    expect(node('C2')?.layer).toBe(3);
    expect(node('Check')?.layer).toBe(4);
    expect(node('Done')?.layer).toBe(5);
    expect(graph.layers).toBe(6);
    expect(graph.edges.some((e) => e.from === 'Fork' && e.to === 'Check')).toBe(false);
    const slots = graph.nodes.filter((n) => n.layer === 2).map((n) => n.slot);
    expect(new Set(slots).size).toBe(slots.length);
  });

  it('names the missing field of a malformed definition', () => {
    expect(() => stateGraph({ States: {} })).toThrow(InvalidDefinitionError);
    expect(() => stateGraph({ StartAt: 'A' })).toThrow(/definition\.States/);
  });
});

describe('summariseStates', () => {
  it('keeps the latest status per state and sums visits and time, running visits up to now', () => {
    const summary = summariseStates(
      [
        { name: 'Wait', status: 'succeeded', enteredAt: 0, exitedAt: 100 },
        { name: 'Wait', status: 'succeeded', enteredAt: 200, exitedAt: 250 },
        { name: 'Poll', status: 'retried', enteredAt: 300, exitedAt: 310 },
        { name: 'Poll', status: 'running', enteredAt: 320 },
      ],
      400,
    );
    expect(summary.get('Wait')).toEqual({ status: 'succeeded', visits: 2, totalMs: 150 });
    expect(summary.get('Poll')).toEqual({ status: 'running', visits: 2, totalMs: 90 });
    expect(summary.has('Other')).toBe(false);
  });
});

/**
 * The state graph of an ASL definition, laid out in layers for drawing: a node per state (Parallel branches
 * included), edges for Next/Default/Choices/Catch, and branch/join edges around Parallel states. Pure.
 */

export type EdgeKind = 'next' | 'choice' | 'catch' | 'branch' | 'join';

export interface GraphNode {
  readonly name: string;
  readonly type: string;
  /** Layer (0 = StartAt): the longest loop-free path from the start. */
  readonly layer: number;
  /** Position within its layer. */
  readonly slot: number;
  /** The Parallel state whose branch holds this state, if any. */
  readonly parent?: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
}

export interface StateGraph {
  readonly nodes: GraphNode[];
  readonly edges: GraphEdge[];
  readonly layers: number;
  readonly widestLayer: number;
}

export class InvalidDefinitionError extends Error {
  override readonly name = 'InvalidDefinitionError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

interface AslLike {
  readonly StartAt?: unknown;
  readonly States?: unknown;
}

type StateJson = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function statesOf(machine: AslLike, field: string): [string, StateJson][] {
  if (typeof machine.StartAt !== 'string') throw new InvalidDefinitionError(`${field}.StartAt is missing`, field);
  if (!isRecord(machine.States)) throw new InvalidDefinitionError(`${field}.States is missing`, field);
  return Object.entries(machine.States).map(([name, state]) => {
    if (!isRecord(state)) throw new InvalidDefinitionError(`${field}.States.${name} is not an object`, field);
    return [name, state];
  });
}

export function stateGraph(definition: AslLike): StateGraph {
  const types = new Map<string, string>();
  const parents = new Map<string, string>();
  const edges: GraphEdge[] = [];
  const edge = (from: string, to: unknown, kind: EdgeKind) => {
    if (typeof to === 'string') edges.push({ from, to, kind });
  };

  const visit = (machine: AslLike, field: string, parent: string | undefined, join: string | undefined) => {
    for (const [name, state] of statesOf(machine, field)) {
      types.set(name, typeof state.Type === 'string' ? state.Type : 'Unknown');
      if (parent) parents.set(name, parent);
      const branches = Array.isArray(state.Branches) ? state.Branches : [];
      const inner = isRecord(state.ItemProcessor)
        ? state.ItemProcessor
        : isRecord(state.Iterator)
          ? state.Iterator
          : null;
      // A Parallel hands over to its Next through its branches' ends (join edges), not directly.
      if (branches.length === 0 && !inner) edge(name, state.Next, 'next');
      edge(name, state.Default, 'choice');
      if (Array.isArray(state.Choices)) for (const c of state.Choices) if (isRecord(c)) edge(name, c.Next, 'choice');
      if (Array.isArray(state.Catch)) for (const c of state.Catch) if (isRecord(c)) edge(name, c.Next, 'catch');
      // A branch's last state hands over to what follows the Parallel.
      if (state.End === true && join) edge(name, join, 'join');
      for (const [i, branch] of [...branches, ...(inner ? [inner] : [])].entries()) {
        if (!isRecord(branch)) continue;
        edge(name, branch.StartAt, 'branch');
        visit(
          branch,
          `${field}.States.${name}.Branches[${i}]`,
          name,
          typeof state.Next === 'string' ? state.Next : undefined,
        );
      }
    }
  };
  visit(definition, 'definition', undefined, undefined);

  const start = definition.StartAt as string;
  const outgoing = new Map<string, string[]>();
  for (const e of edges) outgoing.set(e.from, [...(outgoing.get(e.from) ?? []), e.to]);
  // Longest-path layering of the graph without its loops (edges back to a state on the current DFS path), so
  // a state sits below everything that leads to it and polling loops do not stretch the drawing.
  const backEdges = new Set<string>();
  const onPath = new Set<string>();
  const finished: string[] = [];
  const seen = new Set<string>();
  const dfs = (name: string) => {
    seen.add(name);
    onPath.add(name);
    for (const to of outgoing.get(name) ?? []) {
      if (onPath.has(to)) backEdges.add(`${name}->${to}`);
      else if (!seen.has(to)) dfs(to);
    }
    onPath.delete(name);
    finished.push(name);
  };
  dfs(start);
  const layerOf = new Map<string, number>([[start, 0]]);
  for (const name of finished.reverse()) {
    const layer = layerOf.get(name) ?? 0;
    for (const to of outgoing.get(name) ?? []) {
      if (backEdges.has(`${name}->${to}`)) continue;
      layerOf.set(to, Math.max(layerOf.get(to) ?? 0, layer + 1));
    }
  }
  // States no path reaches (should not exist in a valid definition) still get drawn, below everything.
  const unreachedLayer = Math.max(0, ...layerOf.values()) + 1;
  const slots = new Map<number, number>();
  const nodes: GraphNode[] = [...types.entries()].map(([name, type]) => {
    const layer = layerOf.get(name) ?? unreachedLayer;
    const slot = slots.get(layer) ?? 0;
    slots.set(layer, slot + 1);
    const parent = parents.get(name);
    return { name, type, layer, slot, ...(parent ? { parent } : {}) };
  });
  return {
    nodes,
    edges: edges.filter((e) => types.has(e.to)),
    layers: Math.max(0, ...nodes.map((n) => n.layer)) + 1,
    widestLayer: Math.max(0, ...slots.values()),
  };
}

export type StateStatus = 'running' | 'succeeded' | 'failed' | 'caught' | 'retried' | 'not-run';

export interface StateVisit {
  readonly name: string;
  readonly status: string;
  readonly enteredAt: number;
  readonly exitedAt?: number;
}

export interface StateSummary {
  readonly status: StateStatus;
  readonly visits: number;
  /** Sum of the visits' durations (ms); running visits count up to `now`. */
  readonly totalMs: number;
}

/** Per state: the status of its latest visit, how often it ran and for how long in total. */
export function summariseStates(visits: readonly StateVisit[], now: number): Map<string, StateSummary> {
  const out = new Map<string, StateSummary>();
  for (const visit of visits) {
    const previous = out.get(visit.name);
    const ms = Math.max(0, (visit.exitedAt ?? now) - visit.enteredAt);
    const status = (
      ['running', 'succeeded', 'failed', 'caught', 'retried'].includes(visit.status) ? visit.status : 'not-run'
    ) as StateStatus;
    out.set(visit.name, {
      status,
      visits: (previous?.visits ?? 0) + 1,
      totalMs: (previous?.totalMs ?? 0) + ms,
    });
  }
  return out;
}

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArtifact } from '../../automl/artifact';
import { runAutomlCli } from '../../automl/cli';
import { toCsv } from '../../telemetry/csv';
import { twoSensors } from './two-sensors';

describe('occupancy automl --json with an ensemble across feature views', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'automl-ensemble-cli-'));
    const table = twoSensors(2000, 21);
    const rows = Array.from({ length: table.rowCount }, (_, r) => [
      ...table.columns.map((c) => Number((c[r] ?? 0).toFixed(6))),
      table.target[r] ?? 0,
    ]);
    writeFileSync(join(dir, 'train.csv'), toCsv([...table.names, table.targetName], rows));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the ensemble row with its members and weights, and the artifact it wrote is that ensemble', async () => {
    const out: string[] = [];
    const args = ['--train', join(dir, 'train.csv'), '--target', 'occupied', '--seed', '3'];
    const code = await runAutomlCli(
      [...args, '--work-dir', join(dir, 'work'), '--out', join(dir, 'model.json'), '--json'],
      {
        stdout: (t) => out.push(t),
        stderr: () => undefined,
      },
    );
    expect(code).toBe(0);
    const result = JSON.parse(out.join(''));
    const row = result.leaderboard.find((r: { family: string }) => r.family === 'ensemble');
    expect(row.name).toMatch(/-ensemble-views$/);
    const members: { candidateName: string; weight: number; features: string[] }[] = row.ensemble;
    expect(members.length).toBeGreaterThanOrEqual(2);
    expect(members.reduce((a, m) => a + m.weight, 0)).toBeCloseTo(1, 5);
    const names = result.leaderboard.map((r: { name: string }) => r.name);
    for (const m of members) {
      expect(names).toContain(m.candidateName);
      expect(m.weight).toBeGreaterThan(0);
    }
    // It won here (see ensemble-search.test.ts): the artifact written is that ensemble, members in the same order.
    expect(result.best.name).toBe(row.name);
    const artifact = parseArtifact(readFileSync(join(dir, 'model.json'), 'utf8'));
    const inArtifact = artifact.model.family === 'ensemble' ? artifact.model.members : [];
    expect(inArtifact.map((m) => m.candidateName)).toEqual(members.map((m) => m.candidateName));
  });
});

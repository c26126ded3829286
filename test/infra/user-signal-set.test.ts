import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App } from 'aws-cdk-lib';
import { InfraConfigError } from '../../infra/config';
import { synthesizeChecked } from '../../infra/synth';
import { loadSignalSetFile } from '../../telemetry/signal-set-schema';
import { telemetryRuleSql } from '../../telemetry/wire';

/**
 * `cdk synth -c signalSet=<file>` (issue 15): the user's set flows to everything generated from it: the Glue
 * telemetry table's columns, the IoT telemetry rule's SQL, and the inference Lambda's SIGNAL_SET environment.
 */
const FILE = join(__dirname, '..', 'fixtures', 'signal-sets', 'co2-pir-sound.json');
const RELATIVE = relative(process.cwd(), FILE);

type Resource = { Type: string; Properties?: Record<string, unknown> };

function resources(context: Record<string, string>): Resource[] {
  const outdir = mkdtempSync(join(tmpdir(), 'occupancy-user-set-'));
  try {
    const assembly = synthesizeChecked(new App({ outdir, context }));
    return assembly.stacks.flatMap((s) =>
      Object.values((s.template as { Resources: Record<string, Resource> }).Resources),
    );
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('cdk synth -c signalSet=<file>', () => {
  let all: Resource[] = [];
  beforeAll(() => {
    all = resources({ signalSet: RELATIVE });
  }, 180_000);

  it('the Glue telemetry table has the set’s columns', () => {
    const tables = all
      .filter((r) => r.Type === 'AWS::Glue::Table')
      .map((r) => r.Properties?.TableInput as { StorageDescriptor: { Columns: { Name: string; Type: string }[] } });
    const columns = tables.map((t) => t.StorageDescriptor.Columns.map((c) => `${c.Name}:${c.Type}`));
    expect(columns).toContainEqual([
      'thing_name:string',
      'ts:bigint',
      'received_at:bigint',
      'co2:double',
      'pir:double',
      'sound_north:double',
      'sound_south:double',
    ]);
  });

  it('the telemetry rule selects the set’s signals (reportedKey included)', () => {
    const sqls = all
      .filter((r) => r.Type === 'AWS::IoT::TopicRule')
      .map((r) => (r.Properties?.TopicRulePayload as { Sql: string } | undefined)?.Sql);
    const expected = telemetryRuleSql(loadSignalSetFile(FILE));
    expect(sqls).toContain(expected);
    expect(expected).toContain('soundSouth');
    expect(expected).toContain('sound_north');
  });

  it('the inference Lambda carries the document in SIGNAL_SET', () => {
    const envs = all
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {})
      .filter((v) => v.SIGNAL_SET !== undefined);
    expect(envs).toHaveLength(1);
    expect(JSON.parse(envs[0]?.SIGNAL_SET ?? '')).toEqual(loadSignalSetFile(FILE));
    expect(envs[0]?.SIGNAL_SET_ID).toBe('co2-pir-sound');
    expect(envs[0]?.FALLBACK_SIGNAL).toBe('sound_north');
  });

  it('refuses an invalid file at synth, naming the field and the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'occupancy-bad-set-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ id: 'x', description: 'd', signals: [], staticRule: { signal: 'a', level: 1 } }),
    );
    try {
      expect(() => resources({ signalSet: bad })).toThrow(InfraConfigError);
      expect(() => resources({ signalSet: bad })).toThrow(bad);
      try {
        resources({ signalSet: bad });
      } catch (error) {
        expect((error as InfraConfigError).field).toBe('signalSet.signals');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-c signalSetId=<built-in> still works: its id in the env, no document', () => {
    const envs = resources({ signalSetId: 'uci-occupancy' })
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => (r.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {})
      .filter((v) => v.SIGNAL_SET_ID !== undefined);
    expect(envs.map((v) => v.SIGNAL_SET_ID)).toEqual(['uci-occupancy']);
    expect(envs[0]?.SIGNAL_SET).toBeUndefined();
  }, 180_000);
});

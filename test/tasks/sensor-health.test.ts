import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEALTH_REPORT_KEY, type SensorHealthReport } from '../../health/types';
import { LocalAthena } from '../../local/adapters/athena';
import { FolderObjectStore } from '../../local/adapters/s3';
import { lambdaContext } from '../../local/aws-endpoints/lambda-context';
import { LocalLake } from '../../local/lake';
import { parsePipelineConfig } from '../../pipeline/config';
import { ConfigError, TaskInputError } from '../../tasks/errors';
import { AthenaLakeQuery } from '../../tasks/ports/lake-query';
import { powertools } from '../../tasks/powertools';
import { createHandler, defaultDeps, type SensorHealthOutput } from '../../tasks/sensor-health';
import { THERMOSTAT } from '../../telemetry/signals';
import { AT, EXPECTED, fillLake, KNOWN } from '../health/fleet-fixture';
import { captureOutput, standInClient } from '../health/stand-in';
import { emfMetrics } from './monitor-emf';

/** The check handler over a real local lake through the local Athena stand-in, writing to a folder object store. */

const BUCKET = 'occupancy-artifacts';

describe('sensor health check handler (Athena stand-in over a local lake)', () => {
  let dir: string;
  let lake: LocalLake;
  let store: FolderObjectStore;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sensor-health-'));
    lake = LocalLake.open(dir, THERMOSTAT);
    fillLake(lake);
    store = new FolderObjectStore(dir);
  });
  afterAll(() => {
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Events the check handed its notifier, with the report it saw written at that moment. */
  const handed: { event: unknown; latest: string }[] = [];
  function handler(sensorHealth: Record<string, unknown> = {}, ids = ['report-1']) {
    const queue = [...ids];
    return createHandler({
      notifier: {
        invoke: async (event) => {
          handed.push({ event, latest: await store.getText(`s3://${BUCKET}/${HEALTH_REPORT_KEY}`) });
        },
      },
      ...powertools('sensor-health'),
      config: parsePipelineConfig({ signalSetId: 'thermostat', sensorHealth }),
      dialect: 'athena',
      reportBucket: BUCKET,
      store,
      lake: new AthenaLakeQuery(standInClient(new LocalAthena(lake, store)), {
        database: 'occupancy',
        workGroup: 'occupancy',
        outputLocation: 's3://athena-results/sensor-health/',
      }),
      newReportId: () => queue.shift() ?? 'report-x',
      now: () => AT,
    });
  }

  async function run(event: unknown, h = handler()) {
    let output: SensorHealthOutput | undefined;
    const lines = await captureOutput(async () => {
      output = await h(event, lambdaContext('SensorHealth'));
    });
    if (!output) throw new Error('no output');
    return { output, lines };
  }

  it('writes the report, publishes UnhealthyDevices per kind (zeros too) and logs each unhealthy device', async () => {
    const { output, lines } = await run({ at: new Date(AT).toISOString() });
    if (!output.checked) throw new Error('not checked');
    const { report } = output;
    expect(report.unhealthy.map((u) => [u.kind, u.thingName, u.since, u.lastGoodReading])).toEqual(EXPECTED);
    expect(report.devicesKnown).toBe(KNOWN.length);
    expect(output.reportUri).toBe(`s3://${BUCKET}/${HEALTH_REPORT_KEY}`);
    const latest = JSON.parse(await store.getText(output.reportUri)) as SensorHealthReport;
    expect(latest).toEqual(report);
    const archived = store.list(`s3://${BUCKET}/health/reports/`);
    expect(archived).toEqual([`s3://${BUCKET}/health/reports/2026-11-29T12:00:00.000Z-report-1.json`]);

    const published = emfMetrics(lines.filter((l) => '_aws' in l));
    expect(published.filter((m) => m.name !== 'ColdStart')).toEqual(
      ['stuck', 'silent', 'out-of-range', 'malformed'].map((kind) => ({
        name: 'UnhealthyDevices',
        value: 1,
        dimensions: { Kind: kind, service: 'sensor-health' },
        modelVersion: undefined,
      })),
    );
    const logged = lines.filter((l) => l.message === 'Unhealthy device');
    expect(logged.map((l) => [l.kind, l.thingName, l.since, l.lastGoodReading])).toEqual(
      EXPECTED.map(([kind, thing, since, good]) => [
        kind,
        thing,
        new Date(since).toISOString(),
        good === null ? null : new Date(good).toISOString(),
      ]),
    );
    expect(logged[0]).toMatchObject({ signal: 'humidity', detail: expect.stringContaining('humidity held 41.25 %') });

    // The notifier's event comes once the report it names is the latest.
    expect(handed.at(-1)?.event).toEqual({
      source: 'occupancy.sensor-health',
      'detail-type': 'Sensor Health Report',
      detail: { reportId: 'report-1', checkedAt: AT },
    });
    expect((JSON.parse(handed.at(-1)?.latest ?? '{}') as SensorHealthReport).reportId).toBe('report-1');
  });

  it('publishes zeros when every device is healthy (the alarms return to OK)', async () => {
    // A day earlier, while old-1 reads every minute: the only device known, healthy.
    const { output, lines } = await run({ at: AT - 25 * 3_600_000 + 20 * 60_000 }, handler({}, ['report-2']));
    expect(output.checked && output.report.devicesKnown).toBe(1);
    if (!output.checked) throw new Error('not checked');
    const values = emfMetrics(lines.filter((l) => '_aws' in l))
      .filter((m) => m.name === 'UnhealthyDevices')
      .map((m) => [m.dimensions.Kind, m.value]);
    expect(values).toEqual([
      ['stuck', 0],
      ['silent', 0],
      ['out-of-range', 0],
      ['malformed', 0],
    ]);
    expect(lines.filter((l) => l.message === 'Unhealthy device')).toEqual([]);
  });

  it('does nothing but say so when sensorHealth.enabled is false', async () => {
    const { output, lines } = await run({}, handler({ enabled: false }, ['report-3']));
    expect(output).toEqual({ checked: false, reason: expect.stringContaining('sensorHealth.enabled is false') });
    expect(emfMetrics(lines.filter((l) => '_aws' in l)).filter((m) => m.name === 'UnhealthyDevices')).toEqual([]);
    expect(store.list(`s3://${BUCKET}/health/reports/`).some((u) => u.includes('report-3'))).toBe(false);
  });

  it('accepts a scheduled event (checks now) and refuses a malformed time', async () => {
    const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.scheduler', detail: {} };
    const { output } = await run(scheduled, handler({}, ['report-4']));
    expect(output.checked && output.report.checkedAt).toBe(AT);
    await expect(handler()({ at: 'yesterday' }, lambdaContext('SensorHealth'))).rejects.toThrow(TaskInputError);
  });
});

describe('sensor health check configuration', () => {
  const env = {
    PIPELINE_CONFIG: '{}',
    ATHENA_DATABASE: 'occupancy',
    ATHENA_WORKGROUP: 'occupancy',
    REPORT_BUCKET: 'occupancy-artifacts',
    NOTIFY_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:occupancy-SensorHealthNotify-1AB',
  };
  it('reads its environment once, with table defaults', () => {
    const deps = defaultDeps(env);
    expect([deps.telemetryTable, deps.faultsTable, deps.reportBucket, deps.dialect]).toEqual([
      'telemetry',
      'sensor_faults',
      'occupancy-artifacts',
      'athena',
    ]);
  });
  it('refuses a missing bucket or a bad config, naming the variable', () => {
    expect(() => defaultDeps({ ...env, REPORT_BUCKET: '' })).toThrow(ConfigError);
    expect(() => defaultDeps({ ...env, NOTIFY_FUNCTION_ARN: 'occupancy-notify' })).toThrow(
      expect.objectContaining({ field: 'NOTIFY_FUNCTION_ARN' }),
    );
    expect(() => defaultDeps({ ...env, PIPELINE_CONFIG: '{"sensorHealth":{"stuckMinutes":0}}' })).toThrow(
      expect.objectContaining({ field: 'PIPELINE_CONFIG' }),
    );
  });
});

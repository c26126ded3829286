import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { convertSensorFault } from '../../local/iot/predictions-delivery';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { LocalLake } from '../../local/lake';
import type { InferenceOutcome } from '../../tasks/infer-occupancy';
import { Recorder, reported, writeSoundModel } from '../inference/helpers';

/**
 * Refused readings are data (issue 22), on the real local path: a device publishes its shadow update over MQTT, the
 * shadow service publishes the documents message, the inference rule invokes the Lambda's own handler, which refuses
 * the reading and puts its sensor_faults record to the local Firehose, which delivers it into the lake's
 * `sensor_faults` table. The telemetry rule keeps the same readings out of `telemetry`.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sensor-faults-live-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type BadInput = Extract<InferenceOutcome, { status: 'bad-input' }>;

async function until(done: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

it('an out-of-range and a malformed reading published over MQTT land in sensor_faults with kind, field, code', async () => {
  const stateDir = join(dir, 'state');
  const refused: BadInput[] = [];
  let stack: ServingStack | undefined = await startServing({
    stateDir,
    modelArtifactPath: writeSoundModel(dir, 'model-faults', 12),
    logger: new Recorder().logger,
    onOutcome: (o) => {
      if (o.status === 'bad-input') refused.push(o);
    },
  });
  const t1 = Math.floor(Date.now() / 1000) * 1000 - 5000;
  const t2 = t1 + 1234;
  try {
    const publish = async (thing: string, state: Record<string, unknown>) => {
      const client = await connectAsync(stack?.connection.mqttUrl ?? '', { clientId: thing, reconnectPeriod: 0 });
      try {
        await client.publishAsync(
          `$aws/things/${thing}/shadow/update`,
          JSON.stringify({ state: { reported: state } }),
          {
            qos: 1,
          },
        );
      } finally {
        await client.endAsync();
      }
    };
    await publish('room-hot', reported(t1, 999)); // sound's physical range is [0, 200]
    await publish('room-typo', reported(t2, 5, { temperature: 'warm' }));
    await until(() => refused.length === 2, 'two refused readings');
    stack.sensorFaults?.flush();
    expect(stack.stats().sensorFaults).toMatchObject({ delivered: 2, conversionFailed: 0 });
    await stack.close();
    stack = undefined;

    const lake = LocalLake.open(stateDir);
    try {
      const connection = await lake.connect();
      const rows = (
        await connection.runAndReadAll(
          'SELECT thing_name, ts, received_at, kind, field, code, dt FROM sensor_faults ORDER BY thing_name',
        )
      ).getRowObjectsJS();
      expect(rows.map(({ received_at, ...rest }) => ({ ...rest, ts: Number(rest.ts) }))).toEqual([
        {
          thing_name: 'room-hot',
          ts: t1,
          kind: 'out-of-range',
          field: 'sound',
          code: 'out_of_range',
          dt: new Date(t1).toISOString().slice(0, 10),
        },
        {
          thing_name: 'room-typo',
          ts: t2,
          kind: 'malformed',
          field: 'temperature',
          code: 'wrong_type',
          dt: new Date(t2).toISOString().slice(0, 10),
        },
      ]);
      for (const row of rows) expect(Number(row.received_at)).toBeGreaterThanOrEqual(t1);
      // The lake's rules refuse both readings: they exist only as faults.
      expect(await lake.count('telemetry')).toBe(0);
    } finally {
      lake.close();
    }
  } finally {
    await stack?.close();
  }
});

describe('convertSensorFault (the local stream’s record format conversion)', () => {
  const encode = (o: unknown) => new TextEncoder().encode(`${JSON.stringify(o)}\n`);
  const row = { thing_name: 'r', ts: 1, received_at: 2, kind: 'malformed', field: '$', code: 'invalid_event' };

  it('reads keys without regard to case and ignores unknown keys', () => {
    expect(convertSensorFault(encode({ ...row, THING_NAME: 'R2', thing_name: undefined, extra: 1 }))).toEqual({
      ...row,
      thing_name: 'R2',
    });
  });

  it('fails a record missing a column, of another type, or not JSON', () => {
    expect(convertSensorFault(encode({ ...row, code: undefined }))).toBeUndefined();
    expect(convertSensorFault(encode({ ...row, ts: '1' }))).toBeUndefined();
    expect(convertSensorFault(encode({ ...row, ts: 1.5 }))).toBeUndefined();
    expect(convertSensorFault(new TextEncoder().encode('{'))).toBeUndefined();
  });
});

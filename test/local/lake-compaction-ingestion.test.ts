import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { startBroker } from '../../local/iot/broker';
import { LakeIngestion } from '../../local/iot/rules';
import { LocalLake } from '../../local/lake';
import { liveFiles } from '../../local/lake-files';
import { THERMOSTAT } from '../../telemetry/signals';
import { labelsTopic } from '../../telemetry/wire';

/**
 * serve's ingestion appends a part file per day at every flush (each second); it compacts after its flushes,
 * throttled, so a long-running serve keeps few files per partition, and they are Parquet.
 */
jest.setTimeout(60_000);

const NOW = Date.UTC(2026, 0, 5, 10, 0, 0, 0);
const FLUSHES = 12;

it('compacts the lake after its flushes: Parquet, few live files, every row once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lake-ingestion-'));
  const broker = await startBroker();
  const lake = LocalLake.open(dir, THERMOSTAT);
  let ingestion: LakeIngestion | undefined;
  let client: MqttClient | undefined;
  try {
    ingestion = await LakeIngestion.start(broker, lake, {
      flushIntervalMs: 60_000,
      compactIntervalMs: 0,
      clock: () => NOW,
    });
    client = await connectAsync(broker.url, { clientId: 'room-01' });
    for (let i = 0; i < FLUSHES; i++) {
      const label = { thingName: 'room-01', timestamp: NOW - 1_000 * (i + 1), occupied: i % 2 === 0 };
      await client.publishAsync(labelsTopic('room-01'), JSON.stringify(label), { qos: 1 });
      for (let t = 0; t < 200 && ingestion.stats.labels <= i; t++) {
        await new Promise((r) => setTimeout(r, 10));
        ingestion.flush();
      }
      await new Promise((r) => setTimeout(r, 100)); // lets a compaction run between flushes, as serve's do
    }
    await ingestion.stop(); // waits for its compaction
    expect(ingestion.stats).toMatchObject({ labels: FLUSHES, flushes: FLUSHES });
    const live = liveFiles(lake.root, 'labels');
    expect(live.some((f) => f.format === 'parquet')).toBe(true);
    expect(live.length).toBeLessThanOrEqual(3);
    expect(await lake.count('labels')).toBe(FLUSHES);
  } finally {
    await client?.endAsync(true);
    await ingestion?.stop();
    await broker.close();
    lake.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

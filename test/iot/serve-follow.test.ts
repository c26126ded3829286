import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import type { AdoptedEndpoint } from '../../local/hosting/adopt';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { LocalHosting } from '../../local/hosting/hosting';
import { describeSwitch } from '../../local/iot/follow-deployments';
import { type ServingStack, startServing } from '../../local/iot/serving';
import { shadowUpdateTopic } from '../../tasks/infer-occupancy';
import { Recorder, reported, writeSoundModel } from '../inference/helpers';
import { deployModelB } from './deploy-model-b';

const run = promisify(execFile);

/**
 * `serve` follows a deployment made by another writer of the same state dir (a second LocalHosting, as
 * `occupancy run` in another terminal is): the serving stack answers with the new model without a restart.
 */

let dir: string;
let stack: ServingStack | undefined;
let device: MqttClient | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'serve-follow-'));
});
afterEach(async () => {
  await device?.endAsync(true);
  await stack?.close();
  stack = undefined;
  device = undefined;
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  readonly readingTs: number;
  readonly model: string;
  readonly occupied: boolean;
}

const inThisProcess = (stateDir: string, artifact: string) => deployModelB(stateDir, artifact);
const inAnotherProcess = async (stateDir: string, artifact: string) => {
  const script = join(__dirname, 'deploy-model-b.ts');
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, stateDir, artifact]);
  return stdout.trim();
};

it.each([
  ['another LocalHosting on the same state dir', inThisProcess],
  ['another process', inAnotherProcess],
])('answers with the model %s deploys, within a few seconds and without a restart', async (_, deploy) => {
  const stateDir = join(dir, 'state');
  // The first deployment (cutoff 100: the sound of 50 below reads "empty").
  const first = new LocalHosting({ stateDir, timeScale: 0.002 });
  await deployArtifact(first, 'occupancy', writeSoundModel(dir, 'model-a', 100));
  first.close();

  const switches: AdoptedEndpoint[] = [];
  stack = await startServing({
    stateDir,
    ingest: false,
    logger: new Recorder().logger,
    onDeploymentChange: (c) => switches.push(c),
  });
  const answers: Answer[] = [];
  device = await connectAsync(stack.connection.mqttUrl, { clientId: 'room-07', reconnectPeriod: 0 });
  device.on('message', (_topic, payload) => {
    const state = (JSON.parse(payload.toString()) as { state: Record<string, unknown> }).state;
    answers.push({
      readingTs: Number(state.occupancyReadingTs),
      model: String(state.occupancyModel),
      occupied: state.roomOccupancy === true,
    });
  });
  await device.subscribeAsync('$aws/things/room-07/shadow/update/delta');
  let ts = Date.now();
  const ask = async (): Promise<Answer> => {
    ts++;
    const readingTs = ts;
    await device?.publishAsync(
      shadowUpdateTopic('room-07'),
      JSON.stringify({ state: { reported: reported(readingTs, 50) } }),
    );
    for (let i = 0; i < 500; i++) {
      const answer = answers.find((a) => a.readingTs === readingTs);
      if (answer) return answer;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no answer to reading ${readingTs}`);
  };
  expect(await ask()).toEqual(expect.objectContaining({ model: 'occupancy/AllTraffic', occupied: false }));

  // Another writer of the same state dir deploys model B (cutoff 10: "occupied") on a new variant name.
  expect(await deploy(stateDir, writeSoundModel(dir, 'model-b', 10))).toBe('model-b-config');

  // Poll until serve answers with B (generous: the watcher reacts at once, the poll fallback within 2 s).
  let answer = await ask();
  for (let i = 0; i < 100 && answer.model !== 'occupancy/Green'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    answer = await ask();
  }
  expect(answer).toEqual(expect.objectContaining({ model: 'occupancy/Green', occupied: true }));
  const switched = switches.find((c) => c.endpointConfigName === 'model-b-config');
  expect(switched).toBeDefined();
  expect(describeSwitch(switched as AdoptedEndpoint)).toBe(
    'endpoint occupancy now serves config model-b-config (model model-b)',
  );
  // The serve process did not write the state back: the writer's record stands.
  expect(stack.hosting.listEndpoints()).toEqual([
    { EndpointName: 'occupancy', EndpointStatus: 'InService', EndpointConfigName: 'model-b-config' },
  ]);
});

it('keeps serving the old model when the followed state file is unreadable, and says so', async () => {
  const stateDir = join(dir, 'state');
  const first = new LocalHosting({ stateDir, timeScale: 0.002 });
  await deployArtifact(first, 'occupancy', writeSoundModel(dir, 'model-a', 100));
  first.close();
  const errors: unknown[] = [];
  stack = await startServing({ stateDir, ingest: false, onDeploymentError: (e) => errors.push(e) });
  writeFileSync(join(stateDir, 'hosting', 'state.json'), '{"models": [');
  stack.follower?.check();
  expect(String(errors[0])).toContain('state.json: is not valid JSON');
  expect(stack.hosting.listEndpoints()[0]?.EndpointStatus).toBe('InService');
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CreateEndpointConfigCommandInput } from '@aws-sdk/client-sagemaker';
import { INFERENCE_OUTPUT } from '../../evaluation/p-occupied';
import { FolderObjectStore } from '../../local/adapters/s3';
import { LocalHosting } from '../../local/hosting/hosting';
import { parseCaptureFile } from '../../tasks/shadow-compare-capture';
import { shadowAnswersByRow } from '../../tasks/shadow-compare-decision';
import { SOUND_MODEL } from '../fixtures/sound-model';

/**
 * The local endpoint host's shadow variants and data capture: the shadow gets a copy of every request, its answers
 * are captured (SageMaker's JSONL, documented key layout) and never returned; what AWS refuses is refused.
 */

let dir = '';
let hosting: LocalHosting;
let store: FolderObjectStore;
const CAPTURE = 's3://occupancy-lake/capture';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hosting-shadow-'));
  hosting = new LocalHosting({ stateDir: dir, timeScale: 0.001 });
  store = new FolderObjectStore(dir);
  const model = (name: string, intercept: number) => {
    const path = join(dir, `${name}.json`);
    writeFileSync(path, JSON.stringify({ ...SOUND_MODEL, version: name, model: { ...SOUND_MODEL.model, intercept } }));
    hosting.createModel({
      ModelName: name,
      PrimaryContainer: {
        ModelDataUrl: pathToFileURL(path).href,
        Environment: { SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT },
      },
    });
  };
  model('serving', -10); // occupied from sound ≈ 11.1
  model('candidate', -30); // occupied from sound ≈ 31.1: says "empty" where serving says "occupied"
});
afterEach(() => {
  hosting.close();
  rmSync(dir, { recursive: true, force: true });
});

const variant = (VariantName: string, ModelName: string) => ({
  VariantName,
  ModelName,
  InstanceType: 'ml.m5.large' as const,
  InitialInstanceCount: 1,
  InitialVariantWeight: 1,
});
const capture = (pct: number) => ({
  EnableCapture: true,
  InitialSamplingPercentage: pct,
  DestinationS3Uri: CAPTURE,
  CaptureOptions: [{ CaptureMode: 'Input' as const }, { CaptureMode: 'Output' as const }],
  CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
});
const shadowConfig = (name: string, pct = 100): CreateEndpointConfigCommandInput => ({
  EndpointConfigName: name,
  ProductionVariants: [variant('AllTraffic', 'serving')],
  ShadowProductionVariants: [variant('Shadow', 'candidate')],
  DataCaptureConfig: capture(pct),
});

async function serveWith(config: CreateEndpointConfigCommandInput) {
  hosting.createEndpointConfig(config);
  hosting.createEndpoint({ EndpointName: 'occupancy', EndpointConfigName: config.EndpointConfigName });
  return hosting.whenSettled('occupancy', 10_000);
}

async function captured(variantName: string) {
  const files = await store.listObjects(`${CAPTURE}/occupancy/${variantName}/`);
  const out = [];
  for (const f of files) {
    expect(f.uri).toMatch(
      new RegExp(`^${CAPTURE}/occupancy/${variantName}/\\d{4}/\\d{2}/\\d{2}/\\d{2}/[^/]+\\.jsonl$`),
    );
    out.push(...parseCaptureFile(await store.getText(f.uri)));
  }
  return out;
}

describe('local shadow variants and data capture', () => {
  it('the production variant answers, the shadow answers a copy into data capture only', async () => {
    const described = await serveWith(shadowConfig('with-shadow'));
    expect(described.ProductionVariants?.map((v) => v.VariantName)).toEqual(['AllTraffic']);
    expect(described.ShadowProductionVariants?.map((v) => v.VariantName)).toEqual(['Shadow']);
    for (const sound of [20, 40, 5]) {
      const out = hosting.invoke({ endpointName: 'occupancy', body: `${sound}\n`, contentType: 'text/csv' });
      expect(out.invokedProductionVariant).toBe('AllTraffic');
      expect(out.body.startsWith(sound > 11 ? '1,' : '0,')).toBe(true);
    }
    const production = await captured('AllTraffic');
    const shadow = await captured('Shadow');
    expect(production).toHaveLength(3);
    expect(shadow).toHaveLength(3);
    expect(shadow.map((c) => c.eventId)).toEqual(production.map((c) => c.eventId));
    // The shadow said "empty" at sound 20, where the caller was told "occupied".
    const answers = shadowAnswersByRow(shadow);
    expect([answers.get('20'), answers.get('40'), answers.get('5')]).toEqual([0, 1, 0]);
    expect(hosting.describeEndpointConfig({ EndpointConfigName: 'with-shadow' }).DataCaptureConfig).toMatchObject({
      DestinationS3Uri: CAPTURE,
    });
  });

  it('honours the sampling percentage exactly', async () => {
    await serveWith(shadowConfig('sampled', 25));
    for (let i = 0; i < 40; i++) hosting.invoke({ endpointName: 'occupancy', body: `${i}\n`, contentType: 'text/csv' });
    expect(await captured('AllTraffic')).toHaveLength(10);
    expect(await captured('Shadow')).toHaveLength(10);
  });

  it('refuses what CreateEndpointConfig refuses', () => {
    const refused = (input: CreateEndpointConfigCommandInput, message: RegExp) =>
      expect(() => hosting.createEndpointConfig(input)).toThrow(
        expect.objectContaining({ name: 'ValidationException', message: expect.stringMatching(message) }),
      );
    refused(
      {
        ...shadowConfig('two-shadows'),
        ShadowProductionVariants: [variant('S1', 'candidate'), variant('S2', 'candidate')],
      },
      /exactly one shadow variant/,
    );
    refused(
      {
        ...shadowConfig('two-production'),
        ProductionVariants: [variant('A', 'serving'), variant('B', 'serving')],
      },
      /only one production variant/,
    );
    refused(
      { ...shadowConfig('no-model'), ShadowProductionVariants: [variant('Shadow', 'missing')] },
      /Could not find model/,
    );
    refused(
      { ...shadowConfig('pct'), DataCaptureConfig: { ...capture(100), InitialSamplingPercentage: 101 } },
      /between 0 and 100/,
    );
    refused(
      { ...shadowConfig('uri'), DataCaptureConfig: { ...capture(100), DestinationS3Uri: 'ftp://x' } },
      /regular expression pattern/,
    );
    refused(
      { ...shadowConfig('opts'), DataCaptureConfig: { ...capture(100), CaptureOptions: [] } },
      /between 1 and 32/,
    );
  });

  it('the deploy-5xx fault hits a new model, not a switch that only adds a shadow', async () => {
    hosting.createEndpointConfig({
      EndpointConfigName: 'plain',
      ProductionVariants: [variant('AllTraffic', 'serving')],
    });
    hosting.createEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'plain' });
    await hosting.whenSettled('occupancy', 10_000);
    hosting.setFaults({ failNewFleets5xx: true });
    hosting.createEndpointConfig(shadowConfig('with-shadow'));
    hosting.updateEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'with-shadow' });
    expect(await hosting.whenSettled('occupancy', 10_000)).toMatchObject({ EndpointConfigName: 'with-shadow' });
    expect(hosting.invoke({ endpointName: 'occupancy', body: '20\n', contentType: 'text/csv' }).body).toMatch(/^1,/);
    hosting.createEndpointConfig({
      EndpointConfigName: 'new',
      ProductionVariants: [variant('AllTraffic', 'candidate')],
    });
    hosting.updateEndpoint({ EndpointName: 'occupancy', EndpointConfigName: 'new' });
    await hosting.whenSettled('occupancy', 10_000);
    expect(() =>
      hosting.invoke({ endpointName: 'occupancy', body: '20\n', contentType: 'text/csv', targetVariant: 'AllTraffic' }),
    ).toThrow(expect.objectContaining({ name: 'ModelError' }));
  });
});

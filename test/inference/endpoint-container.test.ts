import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { INFERENCE_OUTPUT, readOccupancyScore } from '../../evaluation/p-occupied';
import { LocalHosting } from '../../local/hosting/hosting';
import { containerAnswer, containerOutputKeys } from '../../local/hosting/model';
import { parseModelAnswer } from '../../tasks/infer-occupancy';
import { SOUND_MODEL, sigmoid } from '../fixtures/sound-model';

/**
 * The local model container answers as Autopilot's ensembling container does: predicted_label unless
 * SAGEMAKER_INFERENCE_OUTPUT asks for more, the keys in the order asked, `probability` of the predicted label,
 * and a refusal of keys the container does not support.
 * https://docs.aws.amazon.com/sagemaker/latest/dg/autopilot-automate-model-development-container-output.html
 */

let dir = '';
let hosting: LocalHosting;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'endpoint-container-'));
  hosting = new LocalHosting({ timeScale: 0.001 });
});
afterEach(() => {
  hosting.close();
  rmSync(dir, { recursive: true, force: true });
});

/** An endpoint serving SOUND_MODEL with the given container environment; its settled description. */
async function endpointWith(environment: Record<string, string> | undefined) {
  const path = join(dir, 'model.json');
  writeFileSync(path, JSON.stringify(SOUND_MODEL));
  hosting.createModel({
    ModelName: 'm',
    PrimaryContainer: { ModelDataUrl: pathToFileURL(path).href, ...(environment ? { Environment: environment } : {}) },
  });
  hosting.createEndpointConfig({
    EndpointConfigName: 'm-config',
    ProductionVariants: [
      { VariantName: 'AllTraffic', ModelName: 'm', InitialInstanceCount: 1, InitialVariantWeight: 1 },
    ],
  });
  hosting.createEndpoint({ EndpointName: 'e', EndpointConfigName: 'm-config' });
  return hosting.whenSettled('e', 10_000);
}
const invoke = (body: string) => hosting.invoke({ endpointName: 'e', body, contentType: 'text/csv' }).body;

describe('the local model container honours SAGEMAKER_INFERENCE_OUTPUT', () => {
  it('answers predicted_label alone by default, as Autopilot containers do', async () => {
    await endpointWith(undefined);
    expect(invoke('12\n5\n')).toBe('1\n0\n');
  });

  it('predicted_label,probabilities,labels: P(occupied) at the occupied label, read back by the Lambda', async () => {
    await endpointWith({ SAGEMAKER_INFERENCE_OUTPUT: INFERENCE_OUTPUT });
    const p = sigmoid(0.5); // sound 10.5: P(occupied) 0.62, below the 0.75 threshold
    expect(invoke('10.5\n')).toBe(`0,"[${1 - p}, ${p}]","['0', '1']"\n`);
    expect(parseModelAnswer(invoke('10.5\n'))).toEqual({ occupied: false, probability: p });
  });

  it('probability is that of the predicted label (ensembling), keys in the order asked, spaces allowed', async () => {
    await endpointWith({ SAGEMAKER_INFERENCE_OUTPUT: 'labels, probability,predicted_label' });
    const p = sigmoid(0.5);
    expect(invoke('10.5\n')).toBe(`"['0', '1']",${1 - p},0\n`);
  });

  it('refuses a key the container does not support: the endpoint fails to start, with the reason', async () => {
    const described = await endpointWith({ SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,score' });
    expect(described.EndpointStatus).toBe('Failed');
    expect(described.FailureReason).toContain(
      'Requested inference output keys [score] are unsupported. The supported inference keys are [predicted_label, probability, labels, probabilities]',
    );
  });

  it('containerOutputKeys and containerAnswer are the whole format', () => {
    expect(containerOutputKeys({})).toEqual(['predicted_label']);
    expect(containerOutputKeys({ SAGEMAKER_INFERENCE_OUTPUT: ' ' })).toEqual(['predicted_label']);
    expect(() => containerOutputKeys({ SAGEMAKER_INFERENCE_OUTPUT: 'predicted_label,Probability' })).toThrow(
      expect.objectContaining({ name: 'ContainerConfigError', field: 'Environment.SAGEMAKER_INFERENCE_OUTPUT' }),
    );
    const line = containerAnswer(['predicted_label', 'probabilities', 'labels'], { probability: 0.25, label: 1 });
    expect(readOccupancyScore(line)).toEqual({ ok: true, score: { predicted: 1, pOccupied: 0.25 } });
  });
});

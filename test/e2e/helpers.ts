import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { ARTIFACT_FORMAT_VERSION, type ModelArtifact } from '../../automl/artifact';
import { buildFeatureSpec, featureNames } from '../../features';
import { answerWhenWaiting } from '../../local/commands/run';
import { simulateIntoLake } from '../../local/commands/simulate';
import { deployArtifact } from '../../local/hosting/deploy-artifact';
import { loadLocalConfig } from '../../local/local-config';
import type { ExecutionRecord } from '../../local/runtime/executions';
import type { FaultName } from '../../local/runtime/faults';
import { LocalStack } from '../../local/runtime/local-stack';
import { type SynthesizedPipeline, synthesizePipeline } from '../../local/runtime/synth';
import { THERMOSTAT } from '../../telemetry/signals';

/** Small, fast local runs: a 4-room, 10-day fleet and a short AutoML budget. */
export const TEST_CONFIG = {
  autoML: { maxCandidates: 3, maxRuntimePerTrainingJobSeconds: 600, maxJobRuntimeSeconds: 1000 },
  canary: { sizePercent: 20, waitIntervalSeconds: 300, terminationWaitSeconds: 60 },
  // The shadow phase judges a candidate on live labelled traffic, which these runs have none of (no fleet is
  // served): it would end every approved update `shadow-rejected`. Its own tests: test/pipeline/shadow-phase.test.ts.
  shadow: { enabled: false },
};

let template: string | undefined;
let pipeline: SynthesizedPipeline | undefined;

/** A fresh state folder holding a copy of one simulated lake (simulated once per test file). */
export function freshStateDir(): string {
  if (!template) {
    template = mkdtempSync(join(tmpdir(), 'e2e-lake-'));
    simulateIntoLake(template, 4, 10, 1);
    writeFileSync(join(template, 'config.json'), JSON.stringify(TEST_CONFIG));
  }
  const dir = mkdtempSync(join(tmpdir(), 'e2e-run-'));
  cpSync(template, dir, { recursive: true });
  return dir;
}

export async function startStack(stateDir: string, faults: FaultName[] = []): Promise<LocalStack> {
  const config = loadLocalConfig(stateDir);
  pipeline ??= synthesizePipeline(config);
  return LocalStack.start({ stateDir, config, pipeline, faults: new Set(faults), timeScale: 0.01 });
}

/** The seed rule (`sound > 10`) as a deployable model: a weak incumbent a learned model should beat. */
export function staticRuleArtifact(): ModelArtifact {
  const names = featureNames(buildFeatureSpec(THERMOSTAT));
  return {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    version: 'static-rule-v1',
    family: 'logistic',
    featureNames: names,
    usedFeatures: ['sound'],
    target: 'occupied',
    preprocessing: { missingValues: 'mean', standardised: true },
    model: {
      family: 'logistic',
      inputs: [names.indexOf('sound')],
      standardisation: { mean: [0], scale: [1] },
      weights: [2],
      intercept: -20,
    },
    threshold: 0.5,
    objective: { name: 'F1', value: 0 },
    training: {
      candidateName: 'static-rule',
      trainedAt: '2026-01-01T00:00:00Z',
      rows: 0,
      featureSubset: 'sound',
      hyperParameters: {},
      validation: {},
      seed: 0,
    },
  };
}

export async function deployIncumbent(stack: LocalStack): Promise<void> {
  const dir = join(stack.stateDir, 'incumbent');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'static-rule.json');
  writeFileSync(path, JSON.stringify(staticRuleArtifact()));
  await deployArtifact(stack.hosting, stack.options.config.endpointName, path);
}

/** Feature rows (headerless CSV) to compare the endpoint's answers before and after a run. */
export function probeRows(): string {
  const names = featureNames(buildFeatureSpec(THERMOSTAT));
  const row = (sound: number, hour: number) =>
    names
      .map((n) => {
        if (n.startsWith('sound'))
          return n.includes('std') ? 3 : n.includes('secs') ? 120 : n.includes('delta') ? 1 : sound;
        if (n === 'temperature' || n === 'temperature_mean_5') return 22;
        if (n === 'humidity' || n === 'humidity_mean_5') return 40;
        if (n === 'hour_sin') return Math.sin((2 * Math.PI * hour) / 24);
        if (n === 'hour_cos') return Math.cos((2 * Math.PI * hour) / 24);
        if (n === 'hvac_status_is_off') return 1;
        return 0;
      })
      .join(',');
  return [row(2, 3), row(8, 10), row(12, 11), row(30, 14), row(60, 15)].join('\n');
}

export async function invoke(stack: LocalStack, body = probeRows()): Promise<string> {
  const client = new SageMakerRuntimeClient({
    endpoint: stack.endpointUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const out = await client.send(
    new InvokeEndpointCommand({ EndpointName: stack.options.config.endpointName, ContentType: 'text/csv', Body: body }),
  );
  client.destroy();
  return new TextDecoder().decode(out.Body);
}

/**
 * Approves or rejects the run's candidate as soon as it waits (what a person or the CLI does). Returns the stop
 * for its polling: call it when the run may end without ever waiting, or the timer outlives the test.
 */
export function answerApproval(stack: LocalStack, runName: string, decision: 'approve' | 'reject'): () => void {
  return answerWhenWaiting(stack, runName, decision, 'e2e-test');
}

export const outcomeOf = (record: ExecutionRecord): string =>
  record.status === 'SUCCEEDED' ? String((record.output as { outcome?: string }).outcome) : 'failed';

export const visited = (record: ExecutionRecord): string[] => [...new Set(record.states.map((s) => s.name))];

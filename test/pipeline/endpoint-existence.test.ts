import { flattenStates } from '../../pipeline/render-asl';
import { transientErrors } from '../../pipeline/retry';
import { synthRetraining } from './fixture';
import { runLocally } from './local-run';

/**
 * Issue 14, defect 3: whether the endpoint exists must not depend on the error name SageMaker's
 * "Could not find endpoint" gets through Step Functions (a ValidationException, not in SageMaker's
 * API model: on AWS it may surface as SageMaker.AmazonSageMakerException or another name).
 */

const { asl } = synthRetraining({});
const states = flattenStates(asl);

const NAMES_FOR_MISSING = [
  'SageMaker.ValidationException',
  'SageMaker.AmazonSageMakerException',
  'SageMaker.SageMakerException',
  'SageMaker.ResourceNotFoundException',
  'States.TaskFailed',
];

describe('endpoint existence does not depend on an error name', () => {
  it.each(NAMES_FOR_MISSING)('first run deploys when a missing endpoint is reported as %s', async (missingError) => {
    const run = await runLocally(asl, { endpoint: 'missing', missingError });
    expect([run.status, run.output.outcome]).toEqual(['SUCCEEDED', 'deployed']);
    expect(run.calls).toContain('CreateEndpoint');
    expect(run.calls).not.toContain('UpdateEndpoint');
    expect(run.calls).not.toContain('ScoreServingModel');
  });

  it('an endpoint whose name only contains ours is not ours: first run still creates the endpoint', async () => {
    const run = await runLocally(asl, { endpoint: 'missing', neighbours: ['occupancy-staging', 'my-occupancy'] });
    expect(run.output.outcome).toBe('deployed');
    expect(run.calls).toContain('CreateEndpoint');
  });

  it('an existing endpoint is updated blue/green, whatever else ListEndpoints returns', async () => {
    const run = await runLocally(asl, { endpoint: 'InService', neighbours: ['occupancy-staging'] });
    expect(run.output.outcome).toBe('deployed');
    expect(run.calls).toEqual(expect.arrayContaining(['ScoreServingModel', 'UpdateEndpoint']));
    expect(run.calls).not.toContain('CreateEndpoint');
  });

  it('no Catch in the definition matches a SageMaker error name', () => {
    for (const [name, state] of Object.entries(states)) {
      const caught = ((state.Catch as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((c) => c.ErrorEquals);
      expect([name, caught.filter((e) => e.startsWith('SageMaker.'))]).toEqual([name, []]);
    }
  });

  it('never retries validation errors or the generic SageMaker exception', () => {
    const generic = ['SageMaker.SageMakerException', 'SageMaker.AmazonSageMakerException'];
    for (const service of ['SageMaker', 'Athena', 'S3', 'Sfn', 'SNS', 'CloudWatch', 'Lambda'] as const) {
      for (const name of transientErrors(service)) {
        expect(name).not.toMatch(/Validation/);
        expect(generic).not.toContain(name);
      }
    }
    for (const [name, state] of Object.entries(states)) {
      const retried = ((state.Retry as { ErrorEquals: string[] }[] | undefined) ?? []).flatMap((r) => r.ErrorEquals);
      expect([name, retried.filter((e) => /Validation|SageMakerException|States\.ALL|TaskFailed/.test(e))]).toEqual([
        name,
        [],
      ]);
    }
  });
});

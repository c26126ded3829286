import { flattenStates } from '../../pipeline/render-asl';
import { SnsNotifier } from '../../tasks/ports/notifier';
import { synthRetraining } from './fixture';
import { awsError, EXECUTION_ID, type Handler, runLocally } from './local-run';

/**
 * Issue 14, defect 8: a create retried with the same name after a lost response meets "already exists";
 * an endpoint in a terminal bad state must fail the run at once; SNS subjects must be short enough.
 */

const { asl } = synthRetraining({});
const states = flattenStates(asl);
const roleArn = String(
  (states.CreateCandidateModel?.Parameters as { ExecutionRoleArn?: string } | undefined)?.ExecutionRoleArn,
);
const CONTAINERS = [{ Image: 'img', ModelDataUrl: 's3://b/m.tar.gz' }];

type Inputs = Record<string, Record<string, unknown>>;
const outputPathOf = (input: Record<string, unknown> | undefined): string =>
  String((input?.TransformOutput as { S3OutputPath?: string } | undefined)?.S3OutputPath);
const variantModelOf = (input: Record<string, unknown> | undefined): string =>
  String((input?.ProductionVariants as { ModelName?: string }[] | undefined)?.[0]?.ModelName);

/** A first deploy (no endpoint yet) with these handlers in place of the default stubs. */
const deployWith = (overrides: Record<string, Handler>) => runLocally(asl, { endpoint: 'missing' }, { overrides });

/** DescribeModel answering for the model asked, with the pipeline's role and these containers. */
const modelDescribedWith =
  (containers: unknown[]): Handler =>
  async (input) => ({ ModelName: input.ModelName, ExecutionRoleArn: roleArn, Containers: containers });

/** The first call "fails" the way a retry after a lost response does: the resource is already there. */
function alreadyCreated(name: string, calls: Inputs): Handler {
  let first = true;
  return async (input) => {
    calls[name] = input;
    if (first) {
      first = false;
      // SageMaker's answer is a ValidationException; Step Functions' name for it is not certain.
      throw awsError('SageMaker.AmazonSageMakerException', 'Cannot create already existing resource.');
    }
    return {};
  };
}

describe('creates are idempotent: an existing resource with the same definition is success', () => {
  it('CreateModel, CreateEndpointConfig and CreateTransformJob answering "already exists" → deployed', async () => {
    const inputs: Inputs = {};
    let transformPolls = 0;
    let evaluated: Record<string, unknown> = {};
    const run = await deployWith({
      CreateCandidateModel: alreadyCreated('CreateCandidateModel', inputs),
      DescribeCandidateModel: modelDescribedWith(CONTAINERS),
      CreateEndpointConfig: alreadyCreated('CreateEndpointConfig', inputs),
      DescribeNewEndpointConfig: async (input) => ({
        EndpointConfigName: input.EndpointConfigName,
        ProductionVariants: [
          {
            VariantName: 'AllTraffic',
            ModelName: variantModelOf(inputs.CreateEndpointConfig),
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 2,
          },
        ],
      }),
      ScoreCandidateModel: async (input) => {
        inputs.ScoreCandidateModel = input;
        throw awsError(
          'SageMaker.AmazonSageMakerException',
          'Job name must be unique; a job with this name already exists.',
        );
      },
      DescribeCandidateTransform: async (input) => ({
        TransformJobName: input.TransformJobName,
        TransformJobStatus: transformPolls++ === 0 ? 'InProgress' : 'Completed',
        ModelName: inputs.ScoreCandidateModel?.ModelName,
        TransformOutput: {
          S3OutputPath: outputPathOf(inputs.ScoreCandidateModel),
        },
      }),
      PollEndpoint: async () => ({
        EndpointStatus: 'InService',
        EndpointConfigName: inputs.CreateEndpointConfig?.EndpointConfigName,
      }),
      Evaluate: async (input) => {
        evaluated = input;
        return {
          promote: true,
          summary: 's',
          evaluationUri: 's3://b/e',
          modelQualityUri: 's3://b/q',
          metricData: [],
          customerMetadata: {},
        };
      },
    });
    expect([run.status, run.error, run.output.outcome]).toEqual(['SUCCEEDED', undefined, 'deployed']);
    const outputPath = outputPathOf(inputs.ScoreCandidateModel);
    expect(evaluated.candidatePredictionsUri).toBe(`${outputPath}/holdout-input.csv.out`);
    expect(transformPolls).toBe(2);
  });

  it('a model of the same name with another definition fails the run, naming the model', async () => {
    const inputs: Inputs = {};
    const run = await deployWith({
      CreateCandidateModel: alreadyCreated('CreateCandidateModel', inputs),
      DescribeCandidateModel: modelDescribedWith([{ Image: 'img', ModelDataUrl: 's3://b/another.tar.gz' }]),
    });
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain(String(inputs.CreateCandidateModel?.ModelName));
    expect(run.calls).not.toContain('Evaluate');
  });

  it("a create that fails for another reason fails the run with that error, not the lookup's", async () => {
    const run = await deployWith({
      CreateCandidateModel: async () => {
        throw awsError('SageMaker.AmazonSageMakerException', 'Could not access model data at s3://b/m.tar.gz.');
      },
      DescribeCandidateModel: async () => {
        throw awsError('SageMaker.AmazonSageMakerException', 'Could not find model.');
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.cause).toContain('Could not access model data');
  });
});

describe('endpoint states that will not settle fail the run at once', () => {
  it.each(['Failed', 'OutOfService', 'UpdateRollbackFailed'])('%s', async (status) => {
    const run = await runLocally(asl, { endpoint: 'InService', endpointStatuses: ['Updating', status] });
    expect([run.status, run.error]).toEqual(['FAILED', 'EndpointFailed']);
    expect(run.cause).toContain(status);
    expect(run.calls.filter((c) => c === 'PollEndpoint')).toHaveLength(2);
    expect(run.calls).toContain('NotifyFailure');
  });
});

describe('SNS subjects', () => {
  // Execution names are 1–80 characters: https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
  const longest = `${EXECUTION_ID.replace(/run-1$/, '')}${'r'.repeat(40)}-${'9'.repeat(39)}`;

  it.each([
    ['deployed', { endpoint: 'missing' as const }],
    ['not-promoted', { endpoint: 'InService' as const, promote: false }],
    ['failed', { endpoint: 'InService' as const, endpointStatuses: ['Failed'] }],
  ])('are under 100 ASCII characters on one line for the longest execution name (%s)', async (_label, scenario) => {
    expect(longest.split(':').pop()).toHaveLength(80);
    const run = await runLocally(asl, scenario, { id: longest });
    expect(run.subjects.length).toBeGreaterThan(0);
    for (const subject of run.subjects) {
      // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: no line breaks or control characters, < 100.
      expect(subject.length).toBeLessThan(100);
      expect(subject).toMatch(/^[A-Za-z0-9!-/:-@[-`{-~][ -~]*$/);
    }
  });
});

describe('the approval request subject (AwaitApproval Lambda)', () => {
  it('stays under 100 characters for the longest run id', async () => {
    const sent: { Subject?: string }[] = [];
    const client = { send: async (command: { input: { Subject?: string } }) => sent.push(command.input) };
    const notifier = new SnsNotifier(client as never, 'arn:aws:sns:eu-west-1:123456789012:t');
    await notifier.publish(`occupancy: approve model from run ${'r'.repeat(80)}?`, 'body');
    expect(sent[0]?.Subject?.length).toBeLessThan(100);
  });
});

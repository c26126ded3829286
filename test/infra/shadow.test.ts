import { ShadowStateNames as S, SHADOW_VARIANT } from '../../pipeline/phases/shadow';
import { renderStateMachineAsl } from '../../pipeline/render-asl';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Statement, synthesize } from './templates';

/**
 * Shadow before canary on AWS (issue 21 item 4): the state machine's shadow endpoint config has one shadow variant
 * and data capture (request and response, KMS, under the artifacts bucket's capture prefix), and the comparison
 * Lambda may read only what it compares: the capture prefix, the lake's predictions and labels, Athena's results.
 */

const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
} = require('asl-validator');

const { templates } = synthesize({ notificationEmail: 'ops@example.com' });
const pipeline = templates.pipeline;
type State = { Type: string; Resource?: string; Parameters?: Json; Next?: string };
const asl = renderStateMachineAsl(pipeline.toJSON()) as unknown as { States: Record<string, State> };

function allStates(states: Record<string, State>): Record<string, State> {
  const out: Record<string, State> = {};
  for (const [name, state] of Object.entries(states)) {
    out[name] = state;
    const branches = (state as { Branches?: { States: Record<string, State> }[] }).Branches ?? [];
    for (const b of branches) Object.assign(out, allStates(b.States));
  }
  return out;
}
const states = allStates(asl.States);

function shadowFunctionRole(): string {
  const fn = resourcesOf(pipeline, 'AWS::Lambda::Function').find(([id]) => id.startsWith('ShadowCompare'));
  if (!fn) throw new Error('no ShadowCompare function');
  const role = referencedId(props(fn[1]).Role);
  if (!role) throw new Error('no role');
  return role;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

describe('shadow before canary on AWS', () => {
  it('creates an endpoint config with one production variant, one shadow variant and data capture', () => {
    const params = states[S.CreateShadowEndpointConfig]?.Parameters ?? {};
    expect(params.ProductionVariants).toHaveLength(1);
    expect(params.ShadowProductionVariants).toEqual([
      expect.objectContaining({ VariantName: SHADOW_VARIANT, 'ModelName.$': '$.run.candidateModelName' }),
    ]);
    const capture = params.DataCaptureConfig as Json;
    expect(capture).toMatchObject({
      EnableCapture: true,
      InitialSamplingPercentage: 100,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
    });
    expect(String(capture.DestinationS3Uri)).toMatch(/^s3:\/\/[a-z0-9.-]+\/capture$/);
    // The pipeline's key (a cross-stack import: rendered as a stand-in), the same as the endpoint storage's.
    expect(capture.KmsKeyId).toBeTruthy();
    expect(capture.KmsKeyId).toEqual(params.KmsKeyId);
  });

  it('the full definition with the shadow phase passes asl-validator', () => {
    const result = aslValidator(asl);
    expect([result.isValid, result.errorsText('\n')]).toEqual([true, expect.any(String)]);
  });

  it('judges the candidate between the bake and the canary, and restores the serving config on rejection', () => {
    expect(states[S.BakeShadow]).toMatchObject({ Type: 'Wait', Seconds: 3600, Next: S.CompareShadow });
    expect(states[S.CompareShadow]?.Resource).toMatch(/lambda:invoke|function:ShadowCompare/);
    expect(states[S.RestoreServingConfig]?.Parameters).toMatchObject({
      'EndpointConfigName.$': '$.shadowServing.endpointConfigName',
    });
    expect(states[S.MarkShadowRejected]?.Parameters).toMatchObject({ outcome: 'shadow-rejected' });
  });

  it('the comparison Lambda reads the capture prefix only, writes only Athena results', () => {
    const statements: Statement[] = roleStatements(pipeline, shadowFunctionRole());
    const s3 = statements.filter((s) => list(s.Action).some((a) => String(a).startsWith('s3:')));
    const objectResources = s3
      .flatMap((s) => list(s.Resource))
      .map((r) => JSON.stringify(r))
      .filter((r) => r.includes('/'));
    const prefixes = objectResources.map((r) => /\/([a-z]+)\/\*/.exec(r)?.[1]).sort();
    expect(new Set(prefixes)).toEqual(new Set(['athena', 'capture', 'labels', 'predictions']));
    const writes = s3.filter((s) => list(s.Action).some((a) => /^s3:(Put|Delete|Abort)/.test(String(a))));
    expect(writes.flatMap((s) => list(s.Resource)).map((r) => JSON.stringify(r))).toEqual([
      expect.stringContaining('/athena/*'),
    ]);
    const actions = statements.flatMap((s) => list(s.Action)).map(String);
    expect(actions.filter((a) => a.startsWith('sagemaker:') || a.startsWith('states:'))).toEqual([]);
  });
});

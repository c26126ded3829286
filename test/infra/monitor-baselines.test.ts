import { parsePipelineConfig } from '../../pipeline/config';
import { type Json, props, referencedId, resourcesOf, roleStatements, type Statement, synthesize } from './templates';

/** The monitor finds the serving models' baselines itself (tasks/monitor-baselines.ts): Describe only, scoped. */
const { templates } = synthesize({ notificationEmail: 'ops@example.com' });
const pipeline = templates.pipeline;
const config = parsePipelineConfig({});
const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('the monitor’s SageMaker access', () => {
  const [entry] = resourcesOf(pipeline, 'AWS::Lambda::Function').filter(([, fn]) =>
    JSON.stringify(props(fn).Environment ?? {}).includes('PIPELINE_CONFIG'),
  );
  const fn: Json = entry?.[1] ?? {};
  const statements = roleStatements(pipeline, referencedId(props(fn).Role) ?? '');
  const sagemaker = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sagemaker:')));

  it('may describe the serving endpoint, and the occ- endpoint configs and models, nothing else of SageMaker', () => {
    expect(sagemaker.flatMap(actionsOf).sort()).toEqual([
      'sagemaker:DescribeEndpoint',
      'sagemaker:DescribeEndpointConfig',
      'sagemaker:DescribeModel',
      'sagemaker:ListTags',
    ]);
    // The training-baseline tag (monitoring/baseline-location.ts): the project's models only.
    const listTags = sagemaker.filter((s) => actionsOf(s).includes('sagemaker:ListTags'));
    expect(listTags.map((s) => actionsOf(s))).toEqual([['sagemaker:ListTags']]);
    expect(JSON.stringify(listTags.map((s) => s.Resource))).toContain(':model/occ-*');
    expect(JSON.stringify(listTags.map((s) => s.Resource))).not.toContain('endpoint');
    const resourcesFor = (action: string) =>
      JSON.stringify(sagemaker.filter((s) => actionsOf(s).includes(action)).map((s) => s.Resource));
    expect(resourcesFor('sagemaker:DescribeEndpoint')).toContain(`:endpoint/${config.endpointName.toLowerCase()}"`);
    expect(resourcesFor('sagemaker:DescribeEndpoint')).not.toContain('*');
    expect(resourcesFor('sagemaker:DescribeModel')).toContain(':model/occ-*');
    expect(resourcesFor('sagemaker:DescribeEndpointConfig')).toContain(':endpoint-config/occ-*');
  });

  it('reads the run artifacts (where ModelDataUrl points) without writing them', () => {
    const runs = statements.filter((s) => JSON.stringify(s.Resource).includes('/runs/*'));
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.flatMap(actionsOf).some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'))).toBe(false);
  });
});

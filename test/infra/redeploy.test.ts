import { type Json, props, resourcesOf, synthesize } from './templates';

// A resource CloudFormation retains on stack deletion keeps its physical name; if the template names it with a
// value that is the same on every deployment, the next `cdk deploy` after a `cdk destroy` fails with
// "already exists". A retained resource must therefore take a generated name, or one unique to the stack
// instance (derived from AWS::StackId).
const { templates } = synthesize({ notificationEmail: 'ops@example.com' });

const PSEUDO_CONSTANTS = new Set(['AWS::Region', 'AWS::AccountId', 'AWS::Partition', 'AWS::URLSuffix']);

/** Whether a property value is the same on every deployment of the stack to an account and region. */
function isFixed(value: unknown, resources: Record<string, Json>): boolean {
  if (typeof value === 'string' || typeof value === 'number') return true;
  if (Array.isArray(value)) return value.every((v) => isFixed(v, resources));
  if (value === null || typeof value !== 'object') return false;
  const v = value as Json;
  if (typeof v.Ref === 'string') {
    if (PSEUDO_CONSTANTS.has(v.Ref)) return true;
    const target = resources[v.Ref];
    // A Ref to a resource is its physical name: fixed only when that resource is named with a fixed value.
    return target !== undefined && nameProperties(target).some(([, name]) => isFixed(name, resources));
  }
  if ('Fn::Join' in v) return isFixed(v['Fn::Join'], resources);
  if ('Fn::Select' in v) return isFixed(v['Fn::Select'], resources);
  if ('Fn::Split' in v) return isFixed(v['Fn::Split'], resources);
  if ('Fn::Sub' in v) return typeof v['Fn::Sub'] === 'string' && !String(v['Fn::Sub']).includes('AWS::StackId');
  return false; // Fn::GetAtt, Fn::ImportValue of a generated resource, AWS::StackId...
}

/** Top-level properties that make up a resource's physical name (LogGroupName, BucketName, LogStreamName...). */
function nameProperties(resource: Json): [string, unknown][] {
  return Object.entries(props(resource)).filter(([key]) => /Name$/.test(key) && key !== 'DisplayName');
}

function retainedWithFixedNames(): string[] {
  const found: string[] = [];
  for (const template of Object.values(templates)) {
    const resources = (template.toJSON().Resources ?? {}) as Record<string, Json>;
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.DeletionPolicy !== 'Retain' && resource.DeletionPolicy !== 'RetainExceptOnCreate') continue;
      const names = nameProperties(resource);
      if (names.length > 0 && names.every(([, value]) => isFixed(value, resources))) {
        found.push(`${resource.Type} ${id}: ${JSON.stringify(names)}`);
      }
    }
  }
  return found;
}

describe('redeploy after destroy', () => {
  it('no retained resource has a physical name fixed across deployments', () => {
    expect(retainedWithFixedNames()).toEqual([]);
  });

  it('the state machine log group is retained and still under /aws/vendedlogs/states/', () => {
    // Vended-logs prefix: Step Functions logging without growing the account's CloudWatch Logs resource policy.
    // https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html
    const groups = resourcesOf(templates.pipeline, 'AWS::Logs::LogGroup').filter(([, g]) =>
      JSON.stringify(props(g).LogGroupName ?? '').includes('/aws/vendedlogs/states/'),
    );
    expect(groups).toHaveLength(1);
    const [[, group]] = groups as [[string, Json]];
    expect(group.DeletionPolicy).toBe('Retain');
    expect(JSON.stringify(props(group).LogGroupName)).toContain('AWS::StackId');
  });
});

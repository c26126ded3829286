/**
 * Resolves the CloudFormation intrinsics CDK leaves in a synthesized state machine definition
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, pseudo parameters) into local, stable values, so the
 * exact ASL CDK renders can run on the local runtime. Resource identifiers become `local-<logicalId>`
 * names and ARNs; the local adapters accept them as they are.
 */

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'local-1';

export class CfnResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfnResolveError';
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, TemplateResource>;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'local',
  'AWS::NoValue': '',
};

const SERVICE_BY_TYPE: Record<string, string> = {
  'AWS::Lambda::Function': 'lambda',
  'AWS::SNS::Topic': 'sns',
  'AWS::S3::Bucket': 's3',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::IAM::Role': 'iam',
  'AWS::KMS::Key': 'kms',
  'AWS::SageMaker::ModelPackageGroup': 'sagemaker',
  'AWS::StepFunctions::StateMachine': 'states',
  'AWS::Athena::WorkGroup': 'athena',
  'AWS::Glue::Database': 'glue',
  'AWS::CloudWatch::Alarm': 'cloudwatch',
};

/** A local name for a resource: what `Ref` returns. */
export function localName(logicalId: string): string {
  return `local-${logicalId}`.toLowerCase();
}

export function localArn(template: CfnTemplate, logicalId: string): string {
  const type = template.Resources[logicalId]?.Type ?? '';
  const service = SERVICE_BY_TYPE[type] ?? 'local';
  const name = localName(logicalId);
  switch (service) {
    case 'lambda':
      return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
    case 'sns':
      return `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
    case 's3':
      return `arn:aws:s3:::${name}`;
    case 'dynamodb':
      return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
    case 'iam':
      return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`;
    case 'states':
      return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
    default:
      return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
  }
}

function refValue(template: CfnTemplate, logicalId: string): string {
  if (logicalId in PSEUDO) return PSEUDO[logicalId] ?? '';
  const resource = template.Resources[logicalId];
  if (!resource) throw new CfnResolveError(`Ref to unknown resource "${logicalId}"`);
  // For these types Ref is the ARN; for the rest it is the name.
  if (['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine', 'AWS::CloudWatch::Alarm'].includes(resource.Type)) {
    return resource.Type === 'AWS::CloudWatch::Alarm' ? localName(logicalId) : localArn(template, logicalId);
  }
  const explicitName = resource.Properties?.ModelPackageGroupName;
  if (typeof explicitName === 'string') return explicitName;
  return localName(logicalId);
}

function getAtt(template: CfnTemplate, logicalId: string, attribute: string): string {
  if (!template.Resources[logicalId]) throw new CfnResolveError(`Fn::GetAtt on unknown resource "${logicalId}"`);
  if (attribute === 'Arn' || attribute.endsWith('Arn')) return localArn(template, logicalId);
  if (attribute === 'Name' || attribute.endsWith('Name')) return localName(logicalId);
  return `${localName(logicalId)}-${attribute.toLowerCase()}`;
}

export function resolveIntrinsics(value: Json, template: CfnTemplate): Json {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, template));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const arg = value[key] as Json;
    switch (key) {
      case 'Ref':
        return refValue(template, String(arg));
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
        return getAtt(template, id ?? '', attr ?? '');
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, Json[]];
        return (resolveIntrinsics(parts, template) as Json[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, Json];
        const resolved = resolveIntrinsics(list, template) as Json[];
        return resolved[Number(index)] ?? '';
      }
      case 'Fn::Split': {
        const [sep, source] = arg as [string, Json];
        return String(resolveIntrinsics(source, template)).split(sep);
      }
      case 'Fn::Sub':
        throw new CfnResolveError('Fn::Sub is not supported in state machine definitions here');
    }
  }
  const out: { [key: string]: Json } = {};
  for (const k of keys) out[k] = resolveIntrinsics(value[k] as Json, template);
  return out;
}

/** Every state machine in a template, by logical ID, with its definition resolved to plain ASL JSON. */
export function stateMachineDefinitions(template: CfnTemplate): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const definition = resource.Properties?.DefinitionString;
    if (definition === undefined) throw new CfnResolveError(`State machine ${id} has no DefinitionString`);
    const text = resolveIntrinsics(definition, template);
    out[id] = JSON.parse(String(text)) as Record<string, unknown>;
  }
  return out;
}

import { createHash } from 'node:crypto';
/**
 * Turns the synthesized CloudFormation of a state machine back into plain Amazon States Language:
 * the `DefinitionString` is a `Fn::Join` of literals and references (bucket names, function ARNs,
 * partition…). Resolving the references to stand-in values gives the exact ASL that AWS would run,
 * which asl-validator checks and the local runtime executes.
 */

export class AslRenderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AslRenderError';
  }
}

export interface RenderOptions {
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '123456789012' */
  readonly account?: string;
  /** Values for `Ref`/`Fn::GetAtt`/`Fn::ImportValue` by logical ID (or import name); others get a stand-in. */
  readonly references?: Readonly<Record<string, string>>;
}

type CfnTemplate = { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/** Stand-in values shaped like the real ones, so ARN validation in the local runner passes. */
function standIn(template: CfnTemplate, logicalId: string, attribute: string | undefined, o: Required<RenderOptions>) {
  const type = template.Resources?.[logicalId]?.Type ?? '';
  const name = logicalId.toLowerCase().slice(0, 40);
  const base = `${o.partition}:%s:${o.region}:${o.account}`;
  const arnOf = (service: string, resource: string): string => `arn:${base.replace('%s', service)}:${resource}`;
  if (type === 'AWS::Lambda::Function') return arnOf('lambda', `function:${logicalId}`);
  if (type === 'AWS::SNS::Topic') return arnOf('sns', logicalId);
  if (type === 'AWS::S3::Bucket') return attribute === 'Arn' ? `arn:${o.partition}:s3:::${name}` : name;
  if (type === 'AWS::KMS::Key') return arnOf('kms', `key/${logicalId}`);
  if (type === 'AWS::IAM::Role')
    return attribute === 'Arn' ? `arn:${o.partition}:iam::${o.account}:role/${logicalId}` : logicalId;
  if (type === 'AWS::DynamoDB::Table') return attribute === 'Arn' ? arnOf('dynamodb', `table/${logicalId}`) : logicalId;
  return attribute === 'Arn' ? arnOf('local', logicalId) : logicalId;
}

export function resolveCfnValue(template: CfnTemplate, value: unknown, options: RenderOptions = {}): string {
  const o: Required<RenderOptions> = {
    partition: options.partition ?? 'aws',
    region: options.region ?? 'us-east-1',
    account: options.account ?? '123456789012',
    references: options.references ?? {},
  };
  const resolve = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    if (v && typeof v === 'object') {
      const entries = Object.entries(v);
      const [fn, arg] = entries[0] ?? [];
      if (entries.length === 1 && fn === 'Fn::Join' && Array.isArray(arg)) {
        const [separator, parts] = arg as [string, unknown[]];
        return parts.map(resolve).join(separator);
      }
      if (entries.length === 1 && fn === 'Ref' && typeof arg === 'string') {
        const pseudo: Record<string, string> = {
          'AWS::Partition': o.partition,
          'AWS::Region': o.region,
          'AWS::AccountId': o.account,
          'AWS::URLSuffix': 'amazonaws.com',
          'AWS::StackName': 'local',
        };
        return pseudo[arg] ?? o.references[arg] ?? standIn(template, arg, undefined, o);
      }
      if (entries.length === 1 && fn === 'Fn::GetAtt' && Array.isArray(arg)) {
        const [logicalId, attribute] = arg as [string, string];
        return (
          o.references[`${logicalId}.${attribute}`] ??
          o.references[logicalId] ??
          standIn(template, logicalId, attribute, o)
        );
      }
      if (entries.length === 1 && fn === 'Fn::ImportValue') {
        const name = resolve(arg);
        return o.references[name] ?? importStandIn(name);
      }
      if (entries.length === 1 && fn === 'Fn::Select' && Array.isArray(arg)) {
        const [index, list] = arg as [number, unknown];
        const items = Array.isArray(list) ? list.map(resolve) : resolve(list).split(',');
        return items[Number(index)] ?? '';
      }
      if (entries.length === 1 && fn === 'Fn::Split' && Array.isArray(arg)) {
        const [separator, source] = arg as [string, unknown];
        return resolve(source).split(separator).join(',');
      }
    }
    throw new AslRenderError(`Cannot resolve CloudFormation value ${JSON.stringify(v).slice(0, 200)}`);
  };
  return resolve(value);
}

/** The ASL of the only (or the named) `AWS::StepFunctions::StateMachine` in a synthesized template. */
export function renderStateMachineAsl(
  template: CfnTemplate,
  options: RenderOptions & { logicalId?: string } = {},
): Record<string, unknown> & { States: Record<string, Record<string, unknown>>; StartAt: string } {
  const machines = Object.entries(template.Resources ?? {}).filter(
    ([id, r]) => r.Type === 'AWS::StepFunctions::StateMachine' && (!options.logicalId || id === options.logicalId),
  );
  const [entry] = machines;
  if (!entry || machines.length > 1) {
    throw new AslRenderError(`Expected one state machine in the template, found ${machines.length}`);
  }
  const definition = entry[1].Properties?.DefinitionString;
  const text = resolveCfnValue(template, definition, options);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AslRenderError('DefinitionString is not JSON after resolution', { cause: error });
  }
}

type AslStates = Record<string, Record<string, unknown>>;

/** Every state by name, including those inside Parallel branches and Map processors. */
export function flattenStates(asl: { States: AslStates }): AslStates {
  const out: AslStates = {};
  const visit = (states: AslStates): void => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      const branches = (state.Branches as { States: AslStates }[] | undefined) ?? [];
      for (const branch of branches) visit(branch.States);
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: AslStates } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(asl.States);
  return out;
}

/**
 * A stand-in for a cross-stack import the caller did not resolve: lowercase, at most 63 characters and starting and
 * ending with a letter or digit, so it is also a valid S3 bucket name (imports are mostly bucket names here).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function importStandIn(exportName: string): string {
  // The export's last part names the resource (`Stack:ExportsOutputFnGetAttDataKey17AFBB84Arn…`): keep its tail.
  const parts = exportName
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const slug = (parts.at(-1) ?? 'export').slice(-44);
  const hash = createHash('sha256').update(exportName).digest('hex').slice(0, 8);
  return `imported-${slug}-${hash}`;
}

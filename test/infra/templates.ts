import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadInfraConfig } from '../../infra/config';
import { buildStacks, type OccupancyStacks } from '../../infra/stacks';

/** Helpers that read the synthesized templates by behaviour (who assumes a role, what a resource points at), never by logical ID. */

export type Json = Record<string, unknown>;
export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}
export interface Synthesized {
  readonly app: App;
  readonly stacks: OccupancyStacks;
  readonly templates: Record<'ingestion' | 'serving' | 'pipeline' | 'observability', Template>;
}

export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({ context });
  const stacks = buildStacks(app, loadInfraConfig(app));
  return {
    app,
    stacks,
    templates: {
      ingestion: Template.fromStack(stacks.ingestion),
      serving: Template.fromStack(stacks.serving),
      pipeline: Template.fromStack(stacks.pipeline),
      observability: Template.fromStack(stacks.observability),
    },
  };
}

export function resourcesOf(template: Template, type: string): [string, Json][] {
  return Object.entries(template.findResources(type)) as [string, Json][];
}

export function props(resource: Json): Json {
  return (resource.Properties ?? {}) as Json;
}

/** The logical ID a `Ref`/`Fn::GetAtt` points at (undefined for anything else). */
export function referencedId(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Json;
  if (typeof v.Ref === 'string') return v.Ref;
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Every statement that applies to a role: its inline policies and every policy of the template attached to it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.toJSON().Resources?.[roleId] as Json | undefined;
  const inline = ((props(role ?? {}).Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = [
    ...resourcesOf(template, 'AWS::IAM::Policy'),
    // CDK moves statements past the inline size limit into overflow managed policies.
    ...resourcesOf(template, 'AWS::IAM::ManagedPolicy'),
  ]
    .filter(([, policy]) => ((props(policy).Roles ?? []) as unknown[]).some((r) => referencedId(r) === roleId))
    .flatMap(([, policy]) => (props(policy).PolicyDocument as { Statement: Statement[] }).Statement);
  return [...inline, ...attached];
}

/** Roles a service principal may assume (e.g. `sagemaker.amazonaws.com`). */
export function rolesAssumedBy(template: Template, service: string): string[] {
  return resourcesOf(template, 'AWS::IAM::Role')
    .filter(([, role]) => JSON.stringify(props(role).AssumeRolePolicyDocument).includes(`"${service}"`))
    .map(([id]) => id);
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
}

/** Whether a statement's actions cover `action` (IAM action names are case-insensitive and may hold `*`). */
export function coversAction(statement: Statement, action: string): boolean {
  return [statement.Action].flat().some((a) => globToRegExp(a).test(action));
}

/** Allow statements covering every one of `actions` (each statement need not cover all). */
export function allowsAll(statements: readonly Statement[], actions: readonly string[], on?: string): boolean {
  const allow = statements.filter(
    (s) => s.Effect === 'Allow' && (on === undefined || JSON.stringify(s.Resource ?? '').includes(on)),
  );
  return actions.every((action) => allow.some((s) => coversAction(s, action)));
}

export function servicePrincipal(statement: Statement): string | undefined {
  const principal = statement.Principal as { Service?: unknown } | undefined;
  return typeof principal?.Service === 'string' ? principal.Service : undefined;
}

/** The data key: its logical ID in the ingestion stack (other stacks import its ARN under a name holding the ID). */
export function dataKey(template: Template): { id: string; policy: Statement[] } {
  const [entry] = resourcesOf(template, 'AWS::KMS::Key');
  if (!entry) throw new Error('the ingestion stack has no KMS key');
  const [id, key] = entry;
  return { id, policy: (props(key).KeyPolicy as { Statement: Statement[] }).Statement };
}

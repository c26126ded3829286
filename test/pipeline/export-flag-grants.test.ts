import { exportQueriesFor } from '../../pipeline/retraining-state-machine';
import { synthRetraining } from './fixture';

/**
 * The export's flag rule reads the `sensor_faults` Glue table and its lake prefix (issue 22): the state machine's
 * role, which runs the Athena export with its own permissions, may read both (the grants of the lake's tables
 * cover it: Glue tables of the database, reads of the lake bucket).
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const { template, config } = synthRetraining({});
// The role's statements spill into an overflow managed policy: read both kinds.
const statements = [
  ...Object.values(template.findResources('AWS::IAM::Policy')),
  ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')),
].flatMap((p) => (p.Properties as { PolicyDocument: { Statement: Statement[] } }).PolicyDocument.Statement);
const allows = (action: string, resource: RegExp): boolean =>
  statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action) &&
      resource.test(JSON.stringify(s.Resource)),
  );

describe('export with the flag rule: grants', () => {
  it('reads sensor_faults in every export query the state machine runs', () => {
    const queries = exportQueriesFor(config);
    for (const sql of [queries.splitPlan, queries.train, queries.validation, queries.holdout]) {
      expect(sql).toContain('FROM "sensor_faults"');
    }
  });

  it('may read the Glue table sensor_faults and the lake bucket', () => {
    // table/<database>/* covers telemetry, labels and sensor_faults.
    expect(allows('glue:GetTable', /table\/occupancy\/\*/)).toBe(true);
    expect(allows('glue:GetPartitions', /table\/occupancy\/\*/)).toBe(true);
    expect(allows('s3:GetObject*', /"Lake[A-Za-z0-9]*","Arn"\]\},"\/\*"/)).toBe(true);
  });
});

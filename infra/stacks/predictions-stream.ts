import type { Construct } from 'constructs';
import type { FeatureSpec } from '../../features';
import { PREDICTIONS_TABLE, predictionColumns } from '../../tasks/infer-occupancy/prediction-record';
import { LakeTableStream, type LakeTableStreamProps } from './lake-table-stream';

export interface PredictionsStreamProps extends Omit<LakeTableStreamProps, 'tableName' | 'columns'> {
  /** The features the inference Lambda serves with: one double column each (`f_<name>`). */
  readonly featureSpec: FeatureSpec;
  /** @default 'predictions' (PREDICTIONS_TABLE) */
  readonly tableName?: string;
}

/**
 * The `predictions` table: every answer of the inference Lambda (model or static rule) as lake data, on the same
 * path as telemetry — Firehose (PutRecordBatch from the Lambda) → Parquet against the Glue table → S3 by arrival day,
 * with partition projection (lake-table-stream.ts).
 */
export function predictionsStream(scope: Construct, id: string, props: PredictionsStreamProps): LakeTableStream {
  const { featureSpec, ...rest } = props;
  return new LakeTableStream(scope, id, {
    description: 'Every realtime answer: thing, reading ts, model/variant, P(occupied), decision, source, features',
    ...rest,
    tableName: props.tableName ?? PREDICTIONS_TABLE,
    columns: predictionColumns(featureSpec).map((c) => ({ name: c.name, type: c.glue })),
  });
}

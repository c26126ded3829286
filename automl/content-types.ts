/**
 * The content types Autopilot takes for tabular channels, the default first
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoMLJobChannel.html). One definition for the
 * state machine, the local contract checks and the local AutoML. Pure: no imports.
 */
export const AUTOML_CSV = 'text/csv;header=present';
export const AUTOML_PARQUET = 'x-application/vnd.amazon+parquet';
export const CHANNEL_CONTENT_TYPES = [AUTOML_CSV, AUTOML_PARQUET] as const;
export type ChannelContentType = (typeof CHANNEL_CONTENT_TYPES)[number];

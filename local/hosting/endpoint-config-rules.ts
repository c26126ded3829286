import type { CreateEndpointConfigCommandInput, DataCaptureConfig } from '@aws-sdk/client-sagemaker';
import { ValidationException } from './errors';

/**
 * What CreateEndpointConfig refuses about shadow variants and data capture (the SDK schema check has already passed:
 * local/aws-contract). Shapes and ranges as the API reference documents them.
 */

/**
 * "If you use this field, you can only specify one variant for ProductionVariants and one variant for
 * ShadowProductionVariants." https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpointConfig.html
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-shadow-deployment.html
 */
export function assertShadowVariants(input: CreateEndpointConfigCommandInput): void {
  const shadows = input.ShadowProductionVariants;
  if (shadows === undefined) return;
  if (shadows.length !== 1) {
    throw new ValidationException(
      `ShadowProductionVariants: ${shadows.length} variants given; an endpoint config supports exactly one shadow variant.`,
    );
  }
  const production = input.ProductionVariants ?? [];
  if (production.length !== 1) {
    throw new ValidationException(
      `ProductionVariants: ${production.length} variants given; with ShadowProductionVariants there can be only one production variant.`,
    );
  }
  if (shadows[0]?.VariantName === production[0]?.VariantName) {
    throw new ValidationException(
      `ShadowProductionVariants[0].VariantName ${shadows[0]?.VariantName} is also a production variant's name.`,
    );
  }
}

// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html
const DESTINATION = /^(https|s3):\/\/([^/])\/?(.*)$/;
const KMS_KEY = /^[a-zA-Z0-9:/_-]*$/;
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CaptureOption.html
const CAPTURE_MODES = ['Input', 'Output', 'InputAndOutput'];

/** DataCaptureConfig's documented constraints. */
export function assertDataCaptureConfig(config: DataCaptureConfig | undefined): void {
  if (config === undefined) return;
  const violation = (field: string, constraint: string, value: unknown) =>
    new ValidationException(
      `1 validation error detected: Value '${String(value)}' at 'dataCaptureConfig.${field}' failed to satisfy constraint: ${constraint}`,
    );
  const pct = config.InitialSamplingPercentage;
  if (!(Number.isInteger(pct) && (pct ?? -1) >= 0 && (pct ?? 101) <= 100)) {
    throw violation('initialSamplingPercentage', 'Member must have value between 0 and 100', pct);
  }
  const uri = config.DestinationS3Uri ?? '';
  if (uri.length > 512) throw violation('destinationS3Uri', 'Member must have length less than or equal to 512', uri);
  if (!DESTINATION.test(uri)) {
    throw violation(
      'destinationS3Uri',
      'Member must satisfy regular expression pattern: ^(https|s3)://([^/])/?(.*)$',
      uri,
    );
  }
  const options = config.CaptureOptions ?? [];
  if (options.length < 1 || options.length > 32) {
    throw violation('captureOptions', 'Member must have length between 1 and 32', options.length);
  }
  for (const [i, o] of options.entries()) {
    if (!CAPTURE_MODES.includes(o.CaptureMode ?? '')) {
      throw violation(
        `captureOptions.${i + 1}.member.captureMode`,
        `Member must satisfy enum value set: [${CAPTURE_MODES.join(', ')}]`,
        o.CaptureMode,
      );
    }
  }
  const key = config.KmsKeyId;
  if (key !== undefined && (key.length > 2048 || !KMS_KEY.test(key))) {
    throw violation('kmsKeyId', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]*$', key);
  }
}

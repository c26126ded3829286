import type { ListTagsCommandInput, ListTagsCommandOutput, Tag } from '@aws-sdk/client-sagemaker';
import { AwsConstraintError } from '../aws-contract/errors';
import { ValidationException } from './errors';

/**
 * SageMaker resource tags on the local endpoint host, as AWS checks and lists them: a model keeps the Tags it was
 * created with (CreateModel), ListTags answers them by the model's ARN. The pipeline tags its candidate model with
 * the training baseline's URI, which the monitor reads (tasks/monitor-baselines.ts).
 */

// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Tag.html (key 1–128, value 0–256, this pattern)
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateModel.html#sagemaker-CreateModel-request-Tags
const MAX_TAGS = 50;
// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListTags.html (ResourceArn; MaxResults ≥ 50)
const RESOURCE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+$/;
const MIN_PAGE = 50;

const refuse = (field: string, message: string): never => {
  throw new AwsConstraintError('sagemaker', field, `1 validation error detected: ${message}`);
};

/** Refuses Tags AWS would refuse (count, lengths, characters, a key twice). */
export function assertTags(tags: readonly Tag[] | undefined): void {
  if (tags === undefined) return;
  if (tags.length > MAX_TAGS) {
    refuse(
      'Tags',
      `Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TAGS}`,
    );
  }
  const keys = new Set<string>();
  tags.forEach((tag, i) => {
    const at = `tags.${i + 1}.member`;
    const key = tag.Key ?? '';
    const value = tag.Value ?? '';
    if (key.length < 1 || key.length > 128) {
      refuse(
        `Tags.${i}.Key`,
        `Value '${key}' at '${at}.key' failed to satisfy constraint: Member must have length between 1 and 128`,
      );
    }
    if (value.length > 256) {
      refuse(
        `Tags.${i}.Value`,
        `Value '${value}' at '${at}.value' failed to satisfy constraint: Member must have length less than or equal to 256`,
      );
    }
    for (const [field, text] of [
      ['key', key],
      ['value', value],
    ] as const) {
      if (!TAG_TEXT.test(text)) {
        refuse(
          `Tags.${i}.${field === 'key' ? 'Key' : 'Value'}`,
          `Value '${text}' at '${at}.${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${TAG_TEXT.source}`,
        );
      }
    }
    if (keys.has(key)) refuse(`Tags.${i}.Key`, `Tag keys must be unique per resource: '${key}' is given twice`);
    keys.add(key);
  });
}

/** A resource's tags by ARN, one page (every tag of a resource fits one: ≤ 50). */
export function listTags(
  input: ListTagsCommandInput,
  tagsOf: (arn: string) => readonly Tag[] | undefined,
): ListTagsCommandOutput {
  const arn = input.ResourceArn ?? '';
  if (arn.length > 256 || !RESOURCE_ARN.test(arn)) {
    refuse(
      'ResourceArn',
      `Value '${arn}' at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${RESOURCE_ARN.source}`,
    );
  }
  if (input.MaxResults !== undefined && input.MaxResults < MIN_PAGE) {
    refuse(
      'MaxResults',
      `Value '${input.MaxResults}' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to ${MIN_PAGE}`,
    );
  }
  const tags = tagsOf(arn);
  if (tags === undefined) throw new ValidationException(`Could not find resource "${arn}".`);
  return { Tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })), $metadata: {} };
}

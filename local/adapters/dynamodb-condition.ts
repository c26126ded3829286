import { AwsConstraintError } from '../aws-contract';
import type { AttributeValue, Item } from './dynamodb';

/**
 * The condition expressions the local DynamoDB tables evaluate: exactly the two the state machine uses,
 * `attribute_not_exists(#name)` and `#name = :value`, with DynamoDB's own checks of the placeholder maps. Any other
 * expression is refused with a ValidationException (never evaluated approximately).
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
 */

export interface ConditionInput {
  readonly ConditionExpression?: unknown;
  readonly ExpressionAttributeNames?: unknown;
  readonly ExpressionAttributeValues?: unknown;
}

export type Condition =
  | { readonly kind: 'attribute_not_exists'; readonly attribute: string }
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: AttributeValue };

const refuse = (field: string, message: string): AwsConstraintError =>
  new AwsConstraintError('dynamodb', field, message);

const NOT_EXISTS = /^\s*attribute_not_exists\s*\(\s*(#[A-Za-z0-9_]+)\s*\)\s*$/;
const EQUALS = /^\s*(#[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)\s*$/;
/** Comparable scalar types (the ones `=` compares by value here). */
const SCALARS = ['S', 'N', 'B', 'BOOL'];

/** The request's condition, or undefined when it has none; refuses what DynamoDB or the local tables refuse. */
export function parseCondition(input: ConditionInput): Condition | undefined {
  const names = (input.ExpressionAttributeNames ?? undefined) as Record<string, string> | undefined;
  const values = (input.ExpressionAttributeValues ?? undefined) as Record<string, AttributeValue> | undefined;
  const expression = input.ConditionExpression;
  if (expression === undefined || expression === null) {
    if (names)
      throw refuse('ExpressionAttributeNames', 'ExpressionAttributeNames can only be specified when using expressions');
    if (values)
      throw refuse(
        'ExpressionAttributeValues',
        'ExpressionAttributeValues can only be specified when using expressions',
      );
    return undefined;
  }
  if (names && Object.keys(names).length === 0)
    throw refuse('ExpressionAttributeNames', 'ExpressionAttributeNames must not be empty');
  if (values && Object.keys(values).length === 0)
    throw refuse('ExpressionAttributeValues', 'ExpressionAttributeValues must not be empty');
  const text = String(expression);
  const notExists = NOT_EXISTS.exec(text);
  const equals = EQUALS.exec(text);
  if (!notExists && !equals) {
    throw refuse(
      'ConditionExpression',
      `Invalid ConditionExpression: the local runtime evaluates only "attribute_not_exists(#name)" and "#name = :value" (got "${text.slice(0, 120)}")`,
    );
  }
  const namePlaceholder = (notExists?.[1] ?? equals?.[1]) as string;
  const valuePlaceholder = equals?.[2];
  const attribute = names?.[namePlaceholder];
  if (attribute === undefined) {
    throw refuse(
      'ConditionExpression',
      `Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: ${namePlaceholder}`,
    );
  }
  const unusedNames = Object.keys(names ?? {}).filter((n) => n !== namePlaceholder);
  if (unusedNames.length > 0) {
    throw refuse(
      'ExpressionAttributeNames',
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  }
  const unusedValues = Object.keys(values ?? {}).filter((v) => v !== valuePlaceholder);
  if (unusedValues.length > 0) {
    throw refuse(
      'ExpressionAttributeValues',
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  }
  if (!valuePlaceholder) return { kind: 'attribute_not_exists', attribute };
  const value = values?.[valuePlaceholder];
  if (value === undefined) {
    throw refuse(
      'ConditionExpression',
      `Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: ${valuePlaceholder}`,
    );
  }
  const [type] = Object.keys(value);
  if (type === undefined || !SCALARS.includes(type)) {
    throw refuse(
      'ExpressionAttributeValues',
      `${valuePlaceholder}: the local runtime compares only ${SCALARS.join(', ')} values with "="`,
    );
  }
  return { kind: 'equals', attribute, value };
}

/** Whether the condition holds for the item as stored now (undefined: no item with that key). */
export function conditionHolds(condition: Condition, item: Item | undefined): boolean {
  const current = item?.[condition.attribute];
  if (condition.kind === 'attribute_not_exists') return current === undefined;
  if (current === undefined) return false;
  const [type] = Object.keys(condition.value);
  if (type === undefined || !(type in current)) return false; // different types are never equal
  const want = condition.value[type];
  const have = current[type];
  return type === 'N' ? Number(want) === Number(have) : want === have;
}

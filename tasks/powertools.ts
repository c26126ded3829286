import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE } from '../pipeline/state-names';

/** One Logger/Metrics/Tracer per Lambda, named by the service (function) that imports them. */
export function powertools(serviceName: string): { logger: Logger; metrics: Metrics; tracer: Tracer } {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName }),
    tracer: new Tracer({ serviceName }),
  };
}

/** zod issues → "field: message" with the dotted path of the first issue, for TaskInputError. */
export function firstIssue(issues: readonly { path: readonly PropertyKey[]; message: string }[]): {
  field: string;
  message: string;
} {
  const issue = issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)';
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}

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

export { firstIssue } from './first-issue';

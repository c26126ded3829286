import type { IncomingMessage, ServerResponse } from 'node:http';
import { assertRequest } from '../aws-contract';
import { type TaskOutcome, TaskTokenError } from '../runtime/task-tokens';
import { EndpointError, readBody, send, wireError } from './http';

/**
 * Step Functions' JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`) for SendTaskSuccess and
 * SendTaskFailure, answered through the task-token broker (the waiting `.waitForTaskToken` state picks it up).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */

/** The broker: TaskTokenBroker satisfies it. */
export interface TokenAnswers {
  answer(token: string, outcome: TaskOutcome): void;
}

const TARGET = 'AWSStepFunctions.';
const JSON_TYPE = 'application/x-amz-json-1.0';

function sendError(res: ServerResponse, code: string, status: number, message: string): void {
  send(res, status, JSON.stringify({ __type: code, message }), {
    'Content-Type': JSON_TYPE,
  });
}

function answer(broker: TokenAnswers, token: string, outcome: TaskOutcome): void {
  try {
    broker.answer(token, outcome);
  } catch (error) {
    // A token no execution waits on (never issued, answered, or timed out).
    if (error instanceof TaskTokenError) throw new EndpointError('TaskDoesNotExist', 400, error.message);
    throw error;
  }
}

/** Handles the request when it is Step Functions'; false when it is not. */
export async function handleSfn(broker: TokenAnswers, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET)) return false;
  const operation = target.slice(TARGET.length);
  try {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse((await readBody(req)).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new EndpointError('SerializationException', 400, 'Request body is not valid JSON');
    }
    if (operation !== 'SendTaskSuccess' && operation !== 'SendTaskFailure') {
      throw new EndpointError('UnknownOperationException', 400, `${operation} is not implemented locally`);
    }
    assertRequest('sfn', operation, input, 'sdk');
    const token = String(input.taskToken);
    if (operation === 'SendTaskSuccess') {
      let output: unknown;
      try {
        output = JSON.parse(String(input.output));
      } catch {
        // https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors
        throw new EndpointError('InvalidOutput', 400, 'The provided JSON output data is not valid');
      }
      answer(broker, token, { kind: 'success', output });
    } else {
      answer(broker, token, {
        kind: 'failure',
        error: typeof input.error === 'string' ? input.error : '',
        cause: typeof input.cause === 'string' ? input.cause : '',
      });
    }
    send(res, 200, '{}', { 'Content-Type': JSON_TYPE });
  } catch (error) {
    const wire = wireError(error);
    if (!wire) throw error;
    sendError(res, wire.code, wire.statusCode, wire.message);
  }
  return true;
}

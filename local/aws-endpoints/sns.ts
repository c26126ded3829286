import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Notifier } from '../../tasks/ports/notifier';
import { assertRequest, assertSnsSubject } from '../aws-contract';
import { EndpointError, escapeXml, readBody, send, wireError } from './http';

/**
 * SNS's query protocol (form-encoded `Action=Publish&…`, XML answers) for Publish to the pipeline's topic, delivered
 * to the local notifier (terminal and notifications log). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/** https://docs.aws.amazon.com/sns/latest/api/CommonErrors.html (the query protocol's ErrorResponse). */
function sendError(res: ServerResponse, code: string, status: number, message: string): void {
  const xml =
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
  send(res, status, xml, { 'Content-Type': 'text/xml' });
}

/** SNS's 256 KiB message limit: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_RequestParameters */
const SNS_MESSAGE_MAX_BYTES = 262_144;

/**
 * Publish to the local topic, as SNS checks it: the request against the SDK's model, the subject, the topic
 * (`NotFound`), the size (`InvalidParameter`); then delivered to the local notifier. The endpoint below and the
 * in-process client (local/runtime/stand-in-clients.ts) both publish through it.
 */
export async function publishToLocalTopic(
  topic: { readonly topicArn: string; readonly notifier: Notifier },
  input: Record<string, unknown>,
): Promise<void> {
  assertRequest('sns', 'Publish', input, 'sdk');
  assertSnsSubject(input.Subject);
  // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
  if (input.TopicArn !== topic.topicArn) throw new EndpointError('NotFound', 404, 'Topic does not exist');
  const message = String(input.Message ?? '');
  if (Buffer.byteLength(message) > SNS_MESSAGE_MAX_BYTES)
    throw new EndpointError('InvalidParameter', 400, 'Invalid parameter: Message too long');
  await topic.notifier.publish(typeof input.Subject === 'string' ? input.Subject : '(no subject)', message);
}

/** Handles the request when it is SNS's (a form POST with an Action); false when it is not. */
export async function handleSns(
  topics: { readonly topicArn: string; readonly notifier: Notifier },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<boolean> {
  const type = req.headers['content-type'] ?? '';
  if (req.method !== 'POST' || !type.startsWith('application/x-www-form-urlencoded')) return false;
  const form = new URLSearchParams((await readBody(req)).toString('utf8'));
  const action = form.get('Action');
  if (action === null) return false;
  try {
    if (action !== 'Publish') throw new EndpointError('InvalidAction', 400, `Unknown action ${action}`);
    // The members the query protocol carries for Publish, as the SDK's model names them.
    const input: Record<string, unknown> = {};
    for (const [name, value] of form) {
      if (name !== 'Action' && name !== 'Version') input[name] = value;
    }
    await publishToLocalTopic(topics, input);
    const xml =
      `<PublishResponse xmlns="${XMLNS}"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult>` +
      `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`;
    send(res, 200, xml, { 'Content-Type': 'text/xml' });
  } catch (error) {
    const wire = wireError(error);
    if (!wire) throw error;
    sendError(res, wire.code, wire.statusCode, wire.message);
  }
  return true;
}

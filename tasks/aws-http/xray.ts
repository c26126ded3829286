import type { ExchangeOutcome, ExchangeStart } from './client';

/** The part of an X-Ray subsegment an exchange records into (aws-xray-sdk-core's Subsegment has it). */
export interface TraceSubsegment {
  addAttribute(name: string, data: unknown): void;
  addError(error: Error, remote?: boolean): void;
  addErrorFlag(): void;
  addFaultFlag(): void;
  addThrottleFlag(): void;
  close(): void;
}

/** The current segment (Powertools `tracer.getSegment()`), if any. */
export interface TraceSegment {
  addNewSubsegment(name: string): TraceSubsegment;
}

/**
 * `SignedHttpClient`'s `onExchange` recording each call as a `remote` X-Ray subsegment named by the host, with
 * the `http` request/response block and flags the X-Ray SDK's http capture would set: that capture patches
 * node:http, which this client does not use.
 */
export function xrayExchanges(
  currentSegment: () => TraceSegment | undefined,
): (call: ExchangeStart) => (outcome: ExchangeOutcome) => void {
  return (call) => {
    const subsegment = currentSegment()?.addNewSubsegment(call.host);
    return (outcome) => {
      if (subsegment === undefined) return;
      subsegment.addAttribute('namespace', 'remote');
      const request = { method: call.method, url: call.url };
      if ('error' in outcome) {
        subsegment.addAttribute('http', { request });
        subsegment.addError(outcome.error, true);
      } else {
        subsegment.addAttribute('http', { request, response: { status: outcome.status } });
        if (outcome.status === 429) subsegment.addThrottleFlag();
        if (outcome.status >= 400 && outcome.status < 500) subsegment.addErrorFlag();
        else if (outcome.status >= 500) subsegment.addFaultFlag();
      }
      subsegment.close();
    };
  };
}

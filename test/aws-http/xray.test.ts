import { type TraceSubsegment, xrayExchanges } from '../../tasks/aws-http';

/** A subsegment that writes down what is recorded into it. */
function recordingSubsegment(name: string, log: string[]): TraceSubsegment {
  return {
    addAttribute: (key, data) => log.push(`${name} ${key}=${JSON.stringify(data)}`),
    addError: (error, remote) => log.push(`${name} error ${error.message} remote=${remote}`),
    addErrorFlag: () => log.push(`${name} error-flag`),
    addFaultFlag: () => log.push(`${name} fault-flag`),
    addThrottleFlag: () => log.push(`${name} throttle-flag`),
    close: () => log.push(`${name} closed`),
  };
}

describe('xrayExchanges', () => {
  const host = 'runtime.sagemaker.eu-west-1.amazonaws.com';
  const url = `https://${host}/endpoints/e/invocations`;
  const call = { method: 'POST', host, path: '/endpoints/e/invocations', url };

  it.each([
    [200, []],
    [429, ['throttle-flag', 'error-flag']],
    [424, ['error-flag']],
    [503, ['fault-flag']],
  ])('records an answer with status %i as a remote subsegment with its flags', (status, flags) => {
    const log: string[] = [];
    const onExchange = xrayExchanges(() => ({ addNewSubsegment: (name) => recordingSubsegment(name, log) }));
    onExchange(call)({ status });
    const name = call.host;
    expect(log).toEqual([
      `${name} namespace="remote"`,
      `${name} http=${JSON.stringify({ request: { method: 'POST', url }, response: { status } })}`,
      ...flags.map((flag) => `${name} ${flag}`),
      `${name} closed`,
    ]);
  });

  it('records a failure as a remote error, and does nothing outside a segment', () => {
    const log: string[] = [];
    xrayExchanges(() => ({ addNewSubsegment: (name) => recordingSubsegment(name, log) }))(call)({
      error: new Error('no answer within 300 ms'),
    });
    expect(log).toContain(`${call.host} error no answer within 300 ms remote=true`);
    expect(log.at(-1)).toBe(`${call.host} closed`);
    expect(() => xrayExchanges(() => undefined)(call)({ status: 200 })).not.toThrow();
  });
});

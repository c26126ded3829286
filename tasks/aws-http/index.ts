/** Signed AWS HTTP calls for latency-critical Lambdas (SigV4 + kept-alive connections, no SDK middleware). */
export {
  type AwsHttpRequest,
  type AwsHttpResponse,
  type AwsHttpTransport,
  type ExchangeOutcome,
  type ExchangeStart,
  SignedHttpClient,
  type SignedHttpClientOptions,
} from './client';
export {
  type AwsEnvironment,
  AwsEnvironmentError,
  awsDnsSuffix,
  awsEnvironment,
  iotDataUrl,
  sagemakerRuntimeUrl,
} from './environment';
export { AwsHttpNetworkError, AwsHttpTimeoutError, AwsServiceError, serviceErrorOf } from './errors';
export { Http1ProtocolError, type Http1Response, Http1ResponseReader } from './http1-response';
export { type AwsCredentials, amzDate, escapeUri, type SignableRequest, type SigningScope, SigV4Signer } from './sigv4';
export { type TraceSegment, type TraceSubsegment, xrayExchanges } from './xray';

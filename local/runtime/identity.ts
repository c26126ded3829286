/**
 * The account and region every local resource claims (ARNs, metric dimensions, signatures). Its own module so
 * that light processes (the endpoint host, `occupancy serve`) do not load CDK through the synthesizer.
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
/** Local servers do not check signatures; the clients still sign, as on AWS. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * Process-wide settings of the local runtime, imported first by the CLI. The Lambda code runs
 * in-process here: its Powertools logs would interleave with the CLI's own output, so only warnings
 * and errors are logged unless the user asks for more. The AWS SDK's Node 22 notice is for Lambda
 * deploys (which target Node 22), not for this local process.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.AWS_REGION ??= 'us-east-1';

export {};

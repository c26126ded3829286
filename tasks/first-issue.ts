// No imports: light modules (the inference config) use it without loading Powertools.

/** zod issues → "field: message" with the dotted path of the first issue, for TaskInputError. */
export function firstIssue(issues: readonly { path: readonly PropertyKey[]; message: string }[]): {
  field: string;
  message: string;
} {
  const issue = issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(input)';
  return { field, message: `${field}: ${issue?.message ?? 'invalid'}` };
}

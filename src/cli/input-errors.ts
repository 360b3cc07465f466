/** Schema problems as an operator reads them: the field, then what is wrong with it. */
import type { ZodError } from 'zod';

export function describeIssues(err: ZodError): string {
  return err.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'the input'}: ${issue.message}`).join('; ');
}

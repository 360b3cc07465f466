/**
 * The one way a message handler refuses: an ApplicationFailure whose type the SDK, the HTTP layer
 * and the CLI map to an answer (src/domain/errors.ts). Refused in a validator, it leaves no trace
 * in history.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { DecisionRefusal, FailureType } from '../src/domain/errors';

export function refusal(type: FailureType, message: string, code?: DecisionRefusal): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, ...(code ? { details: [code] } : {}) });
}

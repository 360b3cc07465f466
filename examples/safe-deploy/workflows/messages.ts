import type { Duration } from '@temporalio/common';
import { defineSignal } from '@temporalio/workflow';

/** Defined once; every version of the workflow handles the same signal. */
export const approveSignal = defineSignal<[{ by: string }]>('approve');

export interface ChangeRequestInput {
  id: string;
  /** How long to wait for an approval (days in production, seconds in the test). */
  waitFor: Duration;
}

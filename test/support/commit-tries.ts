/**
 * How often a run's commit was tried, from its history: an auto-approved run's try in its workflow
 * task (a local activity marker) and the regular commit activity's attempts.
 */
import type { WorkflowHandle } from '@temporalio/client';

export interface CommitTries {
  /** Tries as a local step (one marker each; tries of a task that was lost leave none). */
  local: number;
  /** The regular commit activity's highest attempt number (0: it never ran). */
  activity: number;
}

export async function commitTries(handle: WorkflowHandle): Promise<CommitTries> {
  const events = (await handle.fetchHistory()).events ?? [];
  const local = events.filter((e) => {
    const marker = e.markerRecordedEventAttributes;
    const data = marker?.markerName === 'core_local_activity' ? marker.details?.['data']?.payloads?.[0]?.data : undefined;
    return data
      ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type?: string }).activity_type === 'commitAndVerify'
      : false;
  }).length;
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'commitAction').map((e) => String(e.eventId)),
  );
  const activity = Math.max(
    0,
    ...events
      .map((e) => e.activityTaskStartedEventAttributes)
      .filter((a) => a && scheduled.has(String(a.scheduledEventId)))
      .map((a) => a?.attempt ?? 0),
  );
  return { local, activity };
}

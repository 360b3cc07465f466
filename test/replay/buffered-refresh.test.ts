/**
 * A rolling deploy: a refreshTrust signal reached a worker still on code without its handler,
 * which buffered it and recorded nothing. The history of such a run (made here from a recorded
 * refresh by taking out what the refresh recorded) must replay on today's code, where the handler
 * exists: its patch check finds no marker and the refresh is skipped.
 */
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { readRecordedHistory } from './recorded-history';

interface JsonEvent {
  eventId: string;
  markerRecordedEventAttributes?: { markerName?: string; details?: unknown };
  upsertWorkflowSearchAttributesEventAttributes?: unknown;
  workflowExecutionSignaledEventAttributes?: { signalName?: string };
  [field: string]: unknown;
}

/** The history without the commands a refresh recorded, event ids (and references to them) renumbered. */
function withRefreshBuffered(events: JsonEvent[]): JsonEvent[] {
  const firstSignal = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'gatehouse.refreshTrust');
  const patch = events.findIndex((e, i) => i > firstSignal && e.markerRecordedEventAttributes?.markerName === 'core_patch');
  expect(firstSignal).toBeGreaterThan(0);
  // The patch marker, its search-attribute upsert and the readTrust marker.
  expect(events[patch + 1]?.upsertWorkflowSearchAttributesEventAttributes).toBeDefined();
  expect(events[patch + 2]?.markerRecordedEventAttributes?.markerName).toBe('core_local_activity');
  // Local and regular activities share one sequence: the ones after the refresh move up by one.
  const removedSeq = localActivityOf(events[patch + 2]!)!.seq;
  const kept = events.filter((_, i) => i < patch || i > patch + 2).map((e) => withSeqAfter(e, removedSeq));
  const ids = new Map(kept.map((e, i) => [e.eventId, String(i + 1)]));
  const renumber = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(renumber);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        /EventId$|^eventId$/.test(key) && typeof v === 'string' ? (ids.get(v) ?? v) : renumber(v),
      ]),
    );
  };
  return kept.map((e) => renumber(e) as JsonEvent);
}

type MarkerData = { payloads: { data: string }[] };

function localActivityOf(event: JsonEvent): { seq: number } | undefined {
  const marker = event.markerRecordedEventAttributes as { markerName?: string; details?: { data?: MarkerData } } | undefined;
  const data = marker?.markerName === 'core_local_activity' ? marker.details?.data?.payloads[0]?.data : undefined;
  return data ? (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { seq: number }) : undefined;
}

/** The event with its activity sequence number one lower, when it comes after `removed`. */
function withSeqAfter(event: JsonEvent, removed: number): JsonEvent {
  const scheduled = event['activityTaskScheduledEventAttributes'] as { activityId: string } | undefined;
  if (scheduled && Number(scheduled.activityId) > removed)
    return { ...event, activityTaskScheduledEventAttributes: { ...scheduled, activityId: String(Number(scheduled.activityId) - 1) } };
  const local = localActivityOf(event) as { seq: number; activity_id: string } | undefined;
  if (!local || local.seq <= removed) return event;
  const moved = { ...local, seq: local.seq - 1, activity_id: String(local.seq - 1) };
  const marker = event.markerRecordedEventAttributes as { details: { data: MarkerData } };
  const payload = { ...marker.details.data.payloads[0]!, data: Buffer.from(JSON.stringify(moved)).toString('base64') };
  return { ...event, markerRecordedEventAttributes: { ...marker, details: { ...marker.details, data: { payloads: [payload] } } } };
}

describe('a refresh signal buffered by a worker without its handler', () => {
  it("replays on today's code without a determinism violation", async () => {
    const { history, workflowId } = readRecordedHistory(join(__dirname, 'histories'), 'refreshed-approved.json');
    const { events } = history as { events: JsonEvent[] };
    const buffered = { ...(history as object), events: withRefreshBuffered(events) };
    expect(buffered.events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(1);
    await Worker.runReplayHistory({ workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } }, buffered, workflowId);
  });
});

/** How tests see a trust refresh in a run's history: the local-activity marker of readTrust. */
import type { Client } from '@temporalio/client';
import { eventually } from './harness';

/** How many times the run read its worker's keys again. */
export async function refreshMarkers(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).filter((e) => {
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName !== 'core_local_activity') return false;
    const data = marker.details?.['data']?.payloads?.[0]?.data;
    return data ? Buffer.from(data).toString('utf8').includes('"readTrust"') : false;
  }).length;
}

/** Waits until the run has refreshed its keys `times` times. */
export async function refreshed(client: Client, workflowId: string, times = 1): Promise<void> {
  await eventually(async () => ((await refreshMarkers(client, workflowId)) >= times ? true : undefined), 20_000, 'the trust refresh');
}

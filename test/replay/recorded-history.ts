/**
 * A recorded history and the workflow id it ran under. The id is stored beside the history by
 * `npm run record-histories` (a history does not carry it, and a signed revision or withdrawal is
 * bound to it); histories recorded before that replay under their file name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const WORKFLOW_ID_SUFFIX = '.workflow-id';

export interface RecordedHistory {
  history: unknown;
  workflowId: string;
  /** Whether the id came from the recording (false: the file name stands in for it). */
  recordedId: boolean;
}

export function readRecordedHistory(dir: string, file: string): RecordedHistory {
  const name = file.replace(/\.json$/, '');
  const history: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const idFile = join(dir, `${name}${WORKFLOW_ID_SUFFIX}`);
  if (!existsSync(idFile)) return { history, workflowId: name, recordedId: false };
  const workflowId = readFileSync(idFile, 'utf8').trim();
  if (!workflowId) throw new Error(`${idFile} is empty; record the history again`);
  return { history, workflowId, recordedId: true };
}

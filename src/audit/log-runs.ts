/**
 * Runs rebuilt from the audit log alone, for reports that must outlive Temporal's retention
 * (`gatehouse stats`): the proposal gives the action type and start, the evaluation the triggers,
 * the transitions and decisions what happened, a `terminated` entry an end no workflow recorded.
 */
import type { StatsRun } from '../observability/stats';
import type { ChainedLine } from './chain';
import { closesRun } from './verify';

export interface LoggedRun extends StatsRun {
  workflowId: string;
  /** When the proposal was recorded. */
  proposedAt: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The fired triggers' ids, as the evaluated entry lists them. */
const triggerIds = (fired: unknown): Array<{ id: string }> =>
  Array.isArray(fired)
    ? fired.flatMap((f: unknown) =>
        f && typeof f === 'object' && typeof (f as { id?: unknown }).id === 'string' ? [{ id: (f as { id: string }).id }] : [],
      )
    : [];

/** Runs whose proposal was recorded at or after `since`, in log order. */
export function runsFromLog(lines: ChainedLine[], since: Date): LoggedRun[] {
  const byRun = new Map<string, ChainedLine[]>();
  for (const line of lines) byRun.set(line.workflowId, [...(byRun.get(line.workflowId) ?? []), line]);
  const runs: LoggedRun[] = [];
  for (const [workflowId, own] of byRun) {
    const proposed = own.find((l) => l.kind === 'proposed');
    const terminated = own.find((l) => l.kind === 'terminated');
    const actionType = str(proposed?.data['actionType']) ?? str(terminated?.data['actionType']);
    const proposedAt = proposed?.at ?? terminated?.at;
    if (!actionType || !proposedAt || Date.parse(proposedAt) < since.getTime()) continue;
    const transitions = own
      .filter((l) => l.kind === 'transition')
      .map((l) => ({ at: l.at, to: str(l.data['to']) ?? '', note: str(l.data['note']) }));
    const last = [...own].reverse().find(closesRun);
    const status = terminated ? 'terminated' : last ? str(last.data['to'])! : (transitions.at(-1)?.to ?? 'proposed');
    const evaluated = own.find((l) => l.kind === 'evaluated');
    runs.push({
      workflowId,
      proposedAt,
      proposal: { actionType },
      status,
      transitions,
      decisions: own.filter((l) => l.kind === 'decision').map((l) => ({ kind: str(l.data['decision']) ?? '' })),
      evaluation: { triggersFired: triggerIds(evaluated?.data['triggersFired']) },
    });
  }
  return runs;
}

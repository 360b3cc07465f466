/**
 * The worker-kill experiment shared by the suite (20 kills) and the soak (100+): generation after
 * generation, a real worker process is started, new runs are driven to their commit, and the
 * process is SIGKILLed while the target holds every commit request open. Then one last worker
 * finishes everything, and each run is checked against the target's effect log.
 *
 * Kill points alternate per run: after the target applied the effect (the worker dies before it
 * hears the answer: the retry must find the effect and not send again), and before it applied
 * anything (the retry must send it, once). Half the runs are auto-approved, half wait for a
 * signed approval first. A retried commit still in flight at a later kill is killed again.
 *
 * Why generations instead of one kill at a time: a killed attempt is retried once its heartbeat
 * timeout (10 s, workflows/activity-proxies.ts) passes, so the kills run back to back and the
 * retries of earlier generations land on later workers. An auto-approved run commits as a local
 * step of its workflow task instead: that task's 10 s timeout brings it to another worker.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { readChain, verifyChain } from '../../../src/audit/hash-chain-log';
import { GatehouseClient } from '../../../src/client';
import type { ApprovalState } from '../../../src/domain/state';
import { startDevInbox } from '../../../src/mail/dev-inbox';
import { startSlowTarget } from './slow-target';
import { approveWhenWaiting, httpProposal, prepareWorkerSetup } from './worker-setup';
import { spawnWorker, type WorkerProcess } from './worker-process';

export interface KillLoopOptions {
  address: string;
  kills: number;
  runsPerKill: number;
  /** Progress lines (the soak prints them). */
  log?: (line: string) => void;
  /** How long the last worker gets to finish every run (retries wait out the heartbeat timeout). */
  finishTimeoutMs?: number;
}

export interface RunOutcome {
  workflowId: string;
  resource: string;
  killPoint: 'after_effect' | 'before_effect';
  reviewed: boolean;
  status: string | undefined;
  effects: number;
  posts: number;
  /** How the commit ran: a regular activity, or a local step of the run's workflow task. */
  commitKind: 'activity' | 'local' | undefined;
  /** Attempt number of the commit (activity, or workflow task holding the local step) that completed (1 = never interrupted). */
  commitAttempts: number;
  /**
   * Why the attempt before the last one ended, when there was one: 'heartbeat' when the server
   * noticed the dead worker by the activity's silence, 'workflow_task_timeout' by its task's.
   */
  commitRetryCause: string | undefined;
}

export interface KillLoopReport {
  kills: number;
  runs: number;
  succeeded: number;
  /** Runs whose resource holds more than one effect. */
  duplicates: number;
  /** Runs that did not end `succeeded` with an effect. */
  lost: number;
  /** Commit attempts that never completed (cut short by a kill), over all runs. */
  interruptedCommits: number;
  /** Runs whose commit was cut short more than once. */
  interruptedTwice: number;
  auditChainOk: boolean;
  /** Audit entry ids written more than once. */
  auditDuplicates: number;
  killPhaseMs: number;
  finishMs: number;
  outcomes: RunOutcome[];
}

interface Pending {
  handle: WorkflowHandle;
  workflowId: string;
  resource: string;
  killPoint: RunOutcome['killPoint'];
  reviewed: boolean;
}

export async function runKillLoop(options: KillLoopOptions): Promise<KillLoopReport> {
  const log = options.log ?? (() => undefined);
  const setup = prepareWorkerSetup();
  const taskQueue = `kill-${randomUUID()}`;
  const target = await startSlowTarget();
  const inbox = await startDevInbox({ smtpPort: 0, webPort: 0 });
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  const env = setup.env({
    TEMPORAL_ADDRESS: options.address,
    GATEHOUSE_TASK_QUEUE: taskQueue,
    SMTP_URL: inbox.smtpUrl,
    GATEHOUSE_MAILDEV_API: inbox.apiBaseUrl,
  });
  const runs: Pending[] = [];
  const workers = new Set<WorkerProcess>();
  const spawnOne = (): WorkerProcess => {
    const worker = spawnWorker(env);
    workers.add(worker);
    return worker;
  };
  const gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });

  const propose = async (generation: number, index: number): Promise<Pending> => {
    const id = `kill-${generation}-${index}-${randomUUID().slice(0, 8)}`;
    const reviewed = index % 2 === 1;
    const killPoint = (generation + index) % 2 === 0 ? 'after_effect' : 'before_effect';
    // Every third generation's unapplied commits are held again on their retry, so the worker
    // that picks the retry up is killed in the middle of it too.
    const again = killPoint === 'before_effect' && generation % 3 === 0 ? [{ kind: 'hold' as const, applyFirst: true }] : [];
    target.script(id, [{ kind: 'hold', applyFirst: killPoint === 'after_effect' }, ...again]);
    const proposal = await gatehouse.propose(httpProposal(target.url, id, reviewed));
    const run: Pending = {
      handle: client.workflow.getHandle(proposal.workflowId),
      workflowId: proposal.workflowId,
      resource: id,
      killPoint,
      reviewed,
    };
    if (reviewed) await approveWhenWaiting(run.handle, setup);
    return run;
  };

  const started = Date.now();
  let killed = 0;
  try {
    for (let generation = 1; generation <= options.kills; generation++) {
      const spawnedAt = Date.now();
      const worker = spawnOne();
      let readyAt = 0;
      void worker.ready.then(() => (readyAt = Date.now()));
      const fresh = await Promise.all(Array.from({ length: options.runsPerKill }, (_, i) => propose(generation, i)));
      runs.push(...fresh);
      // Every new commit is inside the target (applied and unanswered, or held unapplied).
      await target.until(() => fresh.every((r) => target.held(r.resource) > 0), 60_000, `generation ${generation}'s commits`);
      const held = target.held();
      await worker.kill();
      workers.delete(worker);
      // Only this worker was alive, so every held request was its own: wait until the target
      // has seen each connection close, so none of them is answered (and applied) later.
      await target.until(() => target.held() === 0, 10_000, `generation ${generation}'s connections to close`);
      killed++;
      log(
        `kill ${killed}/${options.kills}: ${held} commit request(s) in flight; worker up in ${readyAt - spawnedAt} ms, ` +
          `commits reached ${Date.now() - readyAt} ms later; ${runs.length} runs, ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    const killPhaseMs = Date.now() - started;
    // From here on the target answers; one last worker takes over every retry.
    target.stopHolding();
    spawnOne();
    const finishStarted = Date.now();
    const deadline = options.finishTimeoutMs ?? 150_000;
    const finals = await Promise.all(
      runs.map((r) =>
        Promise.race([
          r.handle.result() as Promise<ApprovalState>,
          new Promise<undefined>((resolveLater) => setTimeout(() => resolveLater(undefined), deadline).unref()),
        ]),
      ),
    );
    const finishMs = Date.now() - finishStarted;
    const outcomes: RunOutcome[] = [];
    for (const [i, run] of runs.entries()) {
      outcomes.push({
        workflowId: run.workflowId,
        resource: run.resource,
        killPoint: run.killPoint,
        reviewed: run.reviewed,
        status: finals[i]?.status,
        effects: target.effects.get(run.resource) ?? 0,
        posts: target.posts.filter((p) => p.resource === run.resource).length,
        ...(await commitAttempts(run.handle)),
      });
    }
    const auditIds = readChain(setup.auditLog).map((l) => l.entryId);
    const report: KillLoopReport = {
      kills: killed,
      runs: runs.length,
      succeeded: outcomes.filter((o) => o.status === 'succeeded').length,
      duplicates: outcomes.filter((o) => o.effects > 1).length,
      lost: outcomes.filter((o) => o.status !== 'succeeded' || o.effects === 0).length,
      interruptedCommits: outcomes.reduce((n, o) => n + Math.max(0, o.commitAttempts - 1), 0),
      interruptedTwice: outcomes.filter((o) => o.commitAttempts > 2).length,
      auditChainOk: verifyChain(setup.auditLog).ok,
      auditDuplicates: auditIds.length - new Set(auditIds).size,
      killPhaseMs,
      finishMs,
      outcomes,
    };
    log(`finished: ${JSON.stringify({ ...report, outcomes: undefined })}`);
    return report;
  } catch (err) {
    for (const worker of workers) log(`worker ${worker.pid} output:\n${worker.output()}`);
    throw err;
  } finally {
    target.stopHolding();
    await Promise.all([...workers].map((w) => w.stop()));
    await connection.close();
    await inbox.close();
    await target.close();
  }
}

/**
 * The commit's last attempt number, and why the attempt before it ended, from the run's history:
 * a regular commit's attempts are its activity's; a local one's are those of the workflow task
 * that ran it (the first task to complete, each earlier attempt cut short by a kill).
 */
async function commitAttempts(handle: WorkflowHandle): Promise<Pick<RunOutcome, 'commitKind' | 'commitAttempts' | 'commitRetryCause'>> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const scheduled = new Set(
    events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'commitAction').map((e) => String(e.eventId)),
  );
  if (scheduled.size === 0) {
    const firstCompleted = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
    const before = events.slice(0, Math.max(0, firstCompleted));
    const attempt =
      [...before].reverse().find((e) => e.workflowTaskScheduledEventAttributes)?.workflowTaskScheduledEventAttributes?.attempt ?? 0;
    const timedOut = before.some((e) => e.workflowTaskTimedOutEventAttributes);
    return { commitKind: 'local', commitAttempts: attempt, commitRetryCause: timedOut ? 'workflow_task_timeout' : undefined };
  }
  const started = events.map((e) => e.activityTaskStartedEventAttributes).filter((a) => a && scheduled.has(String(a.scheduledEventId)));
  const last = started[started.length - 1];
  const timeoutType = last?.lastFailure?.timeoutFailureInfo?.timeoutType;
  return {
    commitKind: 'activity',
    commitAttempts: Math.max(0, ...started.map((a) => a?.attempt ?? 0)),
    commitRetryCause: timeoutType === undefined || timeoutType === null ? undefined : (TIMEOUT_CAUSES[timeoutType] ?? String(timeoutType)),
  };
}

/** temporal.api.enums.v1.TimeoutType, as it appears in a history fetched by the client. */
const TIMEOUT_CAUSES: Record<number, string> = { 1: 'start_to_close', 2: 'schedule_to_start', 3: 'schedule_to_close', 4: 'heartbeat' };

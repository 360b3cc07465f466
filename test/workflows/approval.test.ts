/**
 * The approval workflow end to end on the real Temporal dev server: policy, decisions, timers,
 * commit and verification against a real HTTP target, mail into a real SMTP inbox.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { ProposalConflictError, ProposalValidationError, WithdrawRefusedError } from '../../src/client';
import { decisionUpdateIdFor, idempotencyKeyFor, workflowIdFor } from '../../src/domain/ids';
import { SearchAttributes } from '../../src/domain/search-attributes';
import { decisionThroughLink } from '../../src/links/link-issuer';
import { decideSignal, decideUpdate, getStateQuery, refreshTrustSignal, reviseUpdate, withdrawUpdate } from '../../workflows/messages';
import { createHarness, eventually, type Harness } from '../support/harness';
import { readInbox } from '../support/inbox';

let h: Harness;

beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(async () => {
  await h?.close();
});

async function waitForStatus(workflowId: string, status: string): Promise<void> {
  await eventually(
    async () => {
      const state = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
      return state.status === status ? true : undefined;
    },
    20_000,
    `status ${status}`,
  );
}

async function historyLength(workflowId: string): Promise<number> {
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

/** History length once in-flight work (the review mail) has finished: stable over a second. */
/**
 * The history's length once nothing is in flight: the review mail goes out in the background of
 * the round, so its activity may complete a while after the run started waiting.
 */
async function settledHistoryLength(workflowId: string): Promise<number> {
  await eventually(
    async () => ((await h.client.workflow.getHandle(workflowId).describe()).raw.pendingActivities?.length ? undefined : true),
    30_000,
    `${workflowId}: no activity in flight`,
  );
  let last = -1;
  for (;;) {
    const length = await historyLength(workflowId);
    if (length === last) return length;
    last = length;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** The run's history: its workflow tasks, regular activities and local steps. */
async function historyShape(workflowId: string) {
  const events = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  return {
    events,
    workflowTasks: events.filter((e) => e.workflowTaskCompletedEventAttributes).length,
    activities: events.flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : [],
    ),
    localSteps: events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length,
  };
}

describe('approval workflow', () => {
  it('commits an auto-approved low-risk action exactly once and verifies it', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.auto'));
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.evaluation?.outcome).toBe('auto_approve');
    expect(final.execution?.verification?.ok).toBe(true);
    expect([...h.target.effects.values()].filter((n) => n > 0)).toHaveLength(h.target.effects.size);
    const key = final.execution!.idempotencyKey;
    expect(h.target.effects.get(key)).toBe(1);
    expect(h.target.posts.filter((k) => k === key)).toHaveLength(1);
  });

  it('commits an auto-approved action within the workflow task that approved it: one task, no activity', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.auto'));
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    const shape = await historyShape(run.workflowId);
    expect(shape.activities).toEqual([]);
    expect(shape.workflowTasks).toBe(1);
    expect(shape.localSteps).toBe(3); // policy, commit and verify, audit
    expect(shape.events.length).toBeLessThanOrEqual(11);
  });

  it("commits in a regular activity past the worker's limit of commits inside workflow tasks, and with none allowed", async () => {
    await h.stopWorker();
    await h.startWorker({ localCommits: 1 });
    try {
      // The first holds the one place (its target answers after 3 s); the second gives way.
      h.target.delayResponses(1, 3_000);
      const slow = await h.gatehouse.propose(h.proposal('test.auto'));
      await eventually(
        async () => (h.target.effects.has(idempotencyKeyFor(slow.workflowId, 1)) ? true : undefined),
        10_000,
        'the slow commit',
      );
      const second = await h.gatehouse.propose(h.proposal('test.auto'));
      const [slowFinal, secondFinal] = await Promise.all([slow.result(), second.result()]);
      expect([slowFinal.status, secondFinal.status]).toEqual(['succeeded', 'succeeded']);
      expect((await historyShape(slow.workflowId)).activities).toEqual([]);
      expect((await historyShape(second.workflowId)).activities).toEqual(['commitAction']);
      expect(h.target.effects.get(secondFinal.execution!.idempotencyKey)).toBe(1);

      await h.stopWorker();
      await h.startWorker({ localCommits: 0 });
      const off = await h.gatehouse.propose(h.proposal('test.auto'));
      expect((await off.result()).status).toBe('succeeded');
      const shape = await historyShape(off.workflowId);
      expect(shape.activities).toEqual(['commitAction']);
      expect(shape.workflowTasks).toBe(2);
    } finally {
      await h.stopWorker();
      await h.startWorker();
    }
  });

  it('takes signals that reached a new run before its first task for what they are, not for an earlier attempt', async () => {
    await h.stopWorker();
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.signal(refreshTrustSignal);
    // A decision with no signature: refused by the run, and an event in its history all the same.
    await handle.signal(decideSignal, { payload: { workflowId: run.workflowId } } as never);
    await h.startWorker();
    await waitForStatus(run.workflowId, 'awaiting_approval');
    // What another worker would do with it: replay the history so far, to the same answer.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
      history,
      run.workflowId,
    );
    expect((history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(2);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    expect((await run.result()).status).toBe('succeeded');
  });

  it("treats a signal it does not know, sent before a new run's first task, as a possible earlier attempt", async () => {
    await h.stopWorker();
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await h.client.workflow.getHandle(run.workflowId).signal('not.a.gatehouse.signal', { any: 'thing' });
    await h.startWorker();
    const final = await run.result();
    expect(final.status).toBe('needs_attention');
    expect(final.outcomeReason).toContain(idempotencyKeyFor(run.workflowId, 1));
    expect(final.execution).toBeUndefined();
    const history = await h.client.workflow.getHandle(run.workflowId).fetchHistory();
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: process.env['GATEHOUSE_TEST_WORKFLOW_BUNDLE']! } },
      history,
      run.workflowId,
    );
  });

  it('verifies an auto-approved commit again in a step of its own when the read right after it fails', async () => {
    const proposal = h.proposal('test.auto');
    h.target.failChecksOfApplied(1);
    const final = await (await h.gatehouse.propose(proposal)).result();
    expect(final.status).toBe('succeeded');
    expect(final.execution?.verification?.ok).toBe(true);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    const shape = await historyShape(final.workflowId);
    expect(shape.activities).toEqual([]);
    expect(shape.localSteps).toBe(4); // policy, commit and verify (its read failed), verify, audit
  });

  it('waits for a supervised action, then approve commits, verifies and succeeds', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    expect(h.target.posts).not.toContain(expect.stringContaining(run.workflowId));
    const result = await h.client.workflow
      .getHandle(run.workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    expect(result.status).toBe('approved');
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions).toEqual([expect.objectContaining({ reviewerId: 'alice', kind: 'approve', round: 1 })]);
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  /** The run's history and the GatehouseStatus values it upserted, in order. */
  async function upsertedStatuses(workflowId: string) {
    const events = (await h.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const statuses = events.flatMap((e) => {
      const field = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields?.[SearchAttributes.status.name];
      return field?.data ? [JSON.parse(Buffer.from(field.data).toString('utf8')) as string] : [];
    });
    return { events, statuses };
  }

  it('keeps a single approval short: read-only steps as local activities, only resting statuses upserted', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    await h.client.workflow
      .getHandle(run.workflowId)
      .executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    expect((await run.result()).status).toBe('succeeded');
    const { events, statuses } = await upsertedStatuses(run.workflowId);
    const scheduled = events.flatMap((e) =>
      e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType?.name] : [],
    );
    // Only the mail and the side effect are regular activities; the rest are markers.
    expect(scheduled.sort()).toEqual(['commitAction', 'notify']);
    const localMarkers = events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
    expect(localMarkers).toHaveLength(3); // policy, verify, audit
    // A quick commit goes straight from awaiting approval to its outcome in search.
    expect(statuses).toEqual(['awaiting_approval', 'succeeded']);
    // 31 before mail went out in the background; now the 'background-notify' marker, and the
    // mail's completion may land in a workflow task of its own when the decision came first.
    expect(events.length).toBeLessThanOrEqual(35);
  });

  it('shows a commit that takes its time as committing in search, then its outcome', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    h.target.delayResponses(1, 8_000);
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    await eventually(
      async () => ((await handle.describe()).typedSearchAttributes.get(SearchAttributes.status) === 'committing' ? true : undefined),
      15_000,
      'committing in search',
    );
    expect((await run.result()).status).toBe('succeeded');
    expect((await upsertedStatuses(run.workflowId)).statuses).toEqual(['awaiting_approval', 'committing', 'succeeded']);
  });

  it('shows operators a summary, details and current search attributes in the Web UI', async () => {
    const proposal = h.proposal('test.dual');
    const run = await h.gatehouse.propose(proposal);
    await waitForStatus(run.workflowId, 'awaiting_approval');
    const described = await eventually(async () => {
      const d = await h.client.workflow.getHandle(run.workflowId).describe();
      return d.typedSearchAttributes.get(SearchAttributes.status) === 'awaiting_approval' ? d : undefined;
    });
    const sa = described.typedSearchAttributes;
    expect(sa.get(SearchAttributes.actionType)).toBe('test.dual');
    expect(sa.get(SearchAttributes.agent)).toBe('agent-7');
    expect(sa.get(SearchAttributes.risk)).toBe('critical');
    expect([...(sa.get(SearchAttributes.reviewers) ?? [])].sort()).toEqual(['carol', 'dave']);
    expect(sa.get(SearchAttributes.deadline)).toBeInstanceOf(Date);
    expect(await described.staticSummary()).toBe(`test.dual · ${proposal.id} · agent agent-7`);
    expect(await described.staticSummary()).not.toContain(proposal.summary);
    expect(await described.staticDetails()).toContain('agent-7');
    // Visibility is eventually consistent: the list catches up with the upsert shortly.
    const listed = await eventually(async () => {
      const rows = await h.gatehouse.list(
        `GatehouseStatus = "awaiting_approval" AND GatehouseReviewers = "dave" AND WorkflowId = "${run.workflowId}"`,
      );
      return rows.length > 0 ? rows : undefined;
    });
    expect(listed).toEqual([{ workflowId: run.workflowId, status: 'awaiting_approval', actionType: 'test.dual' }]);
    await run.withdraw('agent-7');
  });

  it('executes nothing after a rejection and records the reason', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    await h.client.workflow.getHandle(run.workflowId).executeUpdate(decideUpdate, {
      args: [await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'reject', { comment: 'wrong customer' })],
    });
    const final = await run.result();
    expect(final.status).toBe('rejected');
    expect(final.outcomeReason).toContain('wrong customer');
    expect(final.execution).toBeUndefined();
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
  });

  it('denies an action its policy denies without asking anyone', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.deny'));
    const final = await run.result();
    expect(final.status).toBe('denied');
    expect(final.outcomeReason).toBe('nobody may do this');
  });

  it('reminds, escalates to the next role and expires on the policy clock, executing nothing', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.sla'));
    const final = await run.result();
    expect(final.status).toBe('expired');
    expect(final.escalationLevel).toBe(1);
    expect(final.execution).toBeUndefined();
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
    const mails = await readInbox(h.inbox.apiBaseUrl);
    const forRun = mails.filter((m) => m.subject.includes(run.workflowId.split(':')[1]!));
    const to = (who: string, prefix: string) => forRun.filter((m) => m.to.includes(who) && m.subject.startsWith(prefix));
    expect(to('alice@test.example', '[Gatehouse] Approval needed')).toHaveLength(1);
    expect(to('alice@test.example', '[Gatehouse] Reminder')).toHaveLength(1);
    expect(to('erin@test.example', '[Gatehouse] Escalated')).toHaveLength(1);
    // the principal holds the role but is never asked to approve their own action
    expect(forRun.some((m) => m.to.includes('peter@test.example'))).toBe(false);
  }, 40_000);

  it('reminds again every remindEvery while the round waits, each reminder mailed once', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.remind_every'));
    const final = await run.result();
    expect(final.status).toBe('expired');
    // Reminders at 1, 2, 3 and 4 s, the expiry at 5 s (a timer may land just after the expiry).
    const reminded = final.transitions.filter((t) => t.event === 'reminded').length;
    expect(reminded).toBeGreaterThanOrEqual(3);
    expect(reminded).toBeLessThanOrEqual(4);
    const reminders = await eventually(async () => {
      const mails = (await readInbox(h.inbox.apiBaseUrl)).filter(
        (m) =>
          m.subject.includes(run.workflowId.split(':')[1]!) &&
          m.to.includes('alice@test.example') &&
          m.subject.startsWith('[Gatehouse] Reminder'),
      );
      return mails.length === reminded ? mails : undefined;
    });
    expect(reminders).toHaveLength(reminded);
  }, 40_000);

  it('turns the same proposal submitted twice into one workflow', async () => {
    const proposal = h.proposal('test.single');
    const first = await h.gatehouse.propose(proposal);
    const second = await h.gatehouse.propose(proposal);
    expect(second.workflowId).toBe(first.workflowId);
    const runs = await h.gatehouse.list(`WorkflowId = "${first.workflowId}"`);
    expect(runs.length).toBeLessThanOrEqual(1);
    const description = await h.client.workflow.getHandle(first.workflowId).describe();
    const again = await h.client.workflow.getHandle(second.workflowId).describe();
    expect(again.runId).toBe(description.runId);
    await expect(h.gatehouse.propose({ ...proposal, summary: 'something else' })).rejects.toBeInstanceOf(ProposalConflictError);
    await first.withdraw('agent-7', 'test done');
  });

  it('refuses an invalid proposal listing every bad field and starts no workflow', async () => {
    const bad = h.proposal('test.single', { summary: '', agent: { id: 'bad id!', name: 'x' } });
    bad.params['url'] = 'not a url';
    const error = await h.gatehouse.propose(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProposalValidationError);
    const paths = (error as ProposalValidationError).problems.map((p) => p.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['agent.id', 'params.url', 'summary']));
    await expect(h.client.workflow.getHandle(workflowIdFor(bad)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('refuses ineligible, repeated, self and unsigned decisions in the validator, leaving history unchanged', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.quorum'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')] });
    const before = await settledHistoryLength(run.workflowId);

    const refusals: [string, Promise<unknown>][] = [
      ['not_eligible', h.decision(run.workflowId, { id: 'dave', role: 'approver' }, 'approve')],
      ['already_decided', h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve')],
      ['self_approval', h.decision(run.workflowId, { id: 'peter', role: 'approver' }, 'approve')],
    ];
    for (const [code, pending] of refusals) {
      const signed = (await pending) as Awaited<ReturnType<Harness['decision']>>;
      const err = await handle.executeUpdate(decideUpdate, { args: [signed] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((err as WorkflowUpdateFailedError).cause as { details?: unknown[] }).details?.[0]).toBe(code);
    }
    const unsigned = await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'approve');
    const forged = { ...unsigned, payload: { ...unsigned.payload, reviewer: { id: 'carol', role: 'approver' } } };
    const forgedErr = await handle.executeUpdate(decideUpdate, { args: [forged] }).catch((e: unknown) => e);
    expect(((forgedErr as WorkflowUpdateFailedError).cause as { details?: unknown[] }).details?.[0]).toBe('bad_signature');
    expect(await historyLength(run.workflowId)).toBe(before);

    // The same refused decisions as signals: recorded as received, never applied.
    await handle.signal(decideSignal, await h.decision(run.workflowId, { id: 'dave', role: 'approver' }, 'approve'));
    await handle.signal(decideSignal, await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve'));
    await handle.signal(decideSignal, forged);
    await eventually(async () => ((await historyLength(run.workflowId)) > before + 3 ? true : undefined));
    const state = await handle.query(getStateQuery);
    expect(state.status).toBe('awaiting_approval');
    expect(state.decisions.map((d) => d.reviewerId)).toEqual(['alice']);

    // a valid signal from the second approver completes the quorum
    await handle.signal(decideSignal, await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'approve'));
    expect((await run.result()).status).toBe('succeeded');
  });

  it("refuses malformed decisions, revisions and withdrawals with the schema's reason, inside the shared sandbox", async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    const before = await settledHistoryLength(run.workflowId);
    const valid = await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve');
    const malformed: [string, Promise<unknown>, RegExp][] = [
      [
        'decision',
        handle.executeUpdate(decideUpdate, { args: [{ ...valid, payload: { ...valid.payload, decidedAt: 'yesterday' } }] }),
        /malformed decision/,
      ],
      [
        'decision',
        handle.executeUpdate(decideUpdate, { args: [{ ...valid, signature: { keyId: 'k', value: 'zz' } }] }),
        /malformed decision/,
      ],
      ['decision', handle.executeUpdate(decideUpdate, { args: ['approve' as never] }), /malformed decision/],
      ['revision', handle.executeUpdate(reviseUpdate, { args: [{ by: '', params: 7 } as never] }), /malformed revision/],
      ['withdrawal', handle.executeUpdate(withdrawUpdate, { args: [{ reason: 5 } as never] }), /malformed withdrawal/],
    ];
    for (const [what, pending, message] of malformed) {
      const err = await pending.catch((e: unknown) => e);
      expect([what, err]).toEqual([what, expect.any(WorkflowUpdateFailedError)]);
      expect((err as WorkflowUpdateFailedError).cause?.message).toMatch(message);
    }
    expect(await historyLength(run.workflowId)).toBe(before);
    await handle.executeUpdate(decideUpdate, { args: [valid] });
    expect((await run.result()).status).toBe('succeeded');
  });

  it('applies a decision sent as update and again as its signal twin only once', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.quorum'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    const signed = await h.decision(run.workflowId, { id: 'alice', role: 'approver' }, 'approve');
    await handle.executeUpdate(decideUpdate, { args: [signed], updateId: decisionUpdateIdFor(signed.payload) });
    await handle.executeUpdate(decideUpdate, { args: [signed], updateId: decisionUpdateIdFor(signed.payload) });
    await handle.signal(decideSignal, signed);
    await eventually(async () => ((await handle.query(getStateQuery)).decisions.length === 1 ? true : undefined));
    const state = await handle.query(getStateQuery);
    expect(state.decisions).toHaveLength(1);
    expect(state.status).toBe('awaiting_approval');
    await run.withdraw('agent-7');
    expect((await run.result()).status).toBe('withdrawn');
  });

  it('needs two different people in two roles for a dual approval', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.dual'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    const handle = h.client.workflow.getHandle(run.workflowId);
    const first = await handle.executeUpdate(decideUpdate, {
      args: [await h.decision(run.workflowId, { id: 'carol', role: 'finance' }, 'approve')],
    });
    expect(first).toEqual({ status: 'awaiting_approval', round: 1, remaining: [{ role: 'manager', needed: 1 }] });
    const again = await handle
      .executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'carol', role: 'finance' }, 'approve')] })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(WorkflowUpdateFailedError);
    await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id: 'dave', role: 'manager' }, 'approve')] });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions.map((d) => [d.reviewerId, d.filledRole])).toEqual([
      ['carol', 'finance'],
      ['dave', 'manager'],
    ]);
  });

  it('lets the agent withdraw before commit and refuses a withdrawal after the outcome', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    expect(await run.withdraw('agent-7', 'customer cancelled')).toBe('withdrawn');
    const final = await run.result();
    expect(final.status).toBe('withdrawn');
    expect(final.execution).toBeUndefined();
    await expect(run.withdraw('agent-7')).rejects.toBeInstanceOf(WithdrawRefusedError);
  });

  it('refuses to withdraw once the action has been committed', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.auto'));
    await run.result();
    await expect(run.withdraw('agent-7')).rejects.toBeInstanceOf(WithdrawRefusedError);
  });

  it('keeps waiting while no worker runs and continues on a new worker', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await waitForStatus(run.workflowId, 'awaiting_approval');
    await h.stopWorker();
    // the decision arrives while no worker runs: it is stored by the server as a signal
    await h.client.workflow.getHandle(run.workflowId).signal(decideSignal, await signWithoutQuery(run.workflowId));
    await h.startWorker();
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('finds the effect of a commit whose response was lost and does not repeat it', async () => {
    h.target.dropResponsesAfterEffect(1);
    const run = await h.gatehouse.propose(h.proposal('test.auto'));
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    const key = final.execution!.idempotencyKey;
    expect(h.target.effects.get(key)).toBe(1);
    expect(h.target.posts.filter((k) => k === key)).toHaveLength(1);
    expect(final.execution?.commit).toEqual(expect.objectContaining({ verifiedBeforeRetry: true }));
    // The try in the workflow task lost its answer; the retry went on as a regular commit.
    expect((await historyShape(run.workflowId)).activities).toEqual(['commitAction']);
  });
});

/** Builds alice's approval from what the client knows, since no worker can answer a query now. */
async function signWithoutQuery(workflowId: string) {
  const { paramsHash } = await import('../../src/domain/canonical-hash');
  const history = await h.client.workflow.getHandle(workflowId).fetchHistory();
  const started = history.events![0]!.workflowExecutionStartedEventAttributes!;
  const { defaultPayloadConverter } = await import('@temporalio/common');
  const input = defaultPayloadConverter.fromPayload<{ proposal: { params: unknown } }>(started.input!.payloads![0]!);
  return decisionThroughLink(
    {
      nonce: `n-${Date.now()}-${Math.random()}`,
      workflowId,
      round: 1,
      reviewer: { id: 'alice', role: 'approver' },
      kind: 'approve',
      paramsHash: paramsHash(input.proposal.params),
      decidedAt: new Date().toISOString(),
    },
    h.signer,
    h.grantSigner,
  );
}

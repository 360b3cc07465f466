/**
 * The five approval patterns and every reviewer decision, end to end on the real server.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ReviseRefusedError } from '../../src/client';
import type { DecisionKind, SignedDecision } from '../../src/domain/decision';
import type { ApprovalState } from '../../src/domain/state';
import { samplingDraw } from '../../src/policy/sampling';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { commitTries } from '../support/commit-tries';
import { createHarness, eventually, type Harness } from '../support/harness';
import { readInbox } from '../support/inbox';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
  await h.startWorker();
});
afterAll(() => h?.close());

const state = (workflowId: string): Promise<ApprovalState> => h.client.workflow.getHandle(workflowId).query(getStateQuery);

async function until(workflowId: string, predicate: (s: ApprovalState) => boolean, what: string): Promise<ApprovalState> {
  return eventually(
    async () => {
      const s = await state(workflowId);
      return predicate(s) ? s : undefined;
    },
    20_000,
    what,
  );
}

async function decide(workflowId: string, id: string, role: string, kind: DecisionKind, extra: Partial<SignedDecision['payload']> = {}) {
  const signed = await h.decision(workflowId, { id, role }, kind, extra);
  return h.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, { args: [signed] });
}

async function refusalCode(pending: Promise<unknown>): Promise<unknown> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as { details?: unknown[] }).details?.[0];
}

const awaiting = (s: ApprovalState) => s.status === 'awaiting_approval';

describe('pattern 1: action-level gate', () => {
  it('sends nothing to the target until the approval is recorded', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.single'));
    await until(run.workflowId, awaiting, 'awaiting');
    await new Promise((r) => setTimeout(r, 500));
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
    await decide(run.workflowId, 'alice', 'approver', 'approve');
    const final = await run.result();
    expect(final.transitions.map((t) => t.to)).toEqual(
      expect.arrayContaining(['evaluating', 'awaiting_approval', 'approved', 'committing', 'verifying', 'succeeded']),
    );
    const approvedAt = final.transitions.findIndex((t) => t.to === 'approved');
    expect(final.transitions.findIndex((t) => t.to === 'committing')).toBeGreaterThan(approvedAt);
  });
});

describe('pattern 2: draft approval with edits', () => {
  it('executes the edited version, and asks for the further approval the higher risk needs', async () => {
    const proposal = h.proposal('test.edits');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    const edited = { ...proposal.params, body: { amount: 5_000, note: 'corrected by reviewer' } };
    const result = await decide(run.workflowId, 'alice', 'approver', 'approve_with_edits', { editedParams: edited });
    expect(result).toEqual({ status: 'awaiting_approval', round: 2, remaining: [{ role: 'manager', needed: 1 }] });

    const during = await state(run.workflowId);
    expect(during.evaluation?.triggersFired.map((t) => t.id)).toEqual(['large-amount']);
    expect(during.originalParams).toEqual(proposal.params);
    await decide(run.workflowId, 'dave', 'manager', 'approve');
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 5_000, note: 'corrected by reviewer' });
    expect(final.decisions.map((d) => [d.round, d.reviewerId, d.kind])).toEqual([
      [1, 'alice', 'approve_with_edits'],
      [2, 'alice', 'approve'],
      [2, 'dave', 'approve'],
    ]);
  });

  it('approves at once when the edited version needs no more than the editor', async () => {
    const proposal = h.proposal('test.edits');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    const edited = { ...proposal.params, body: { amount: 10 } };
    expect((await decide(run.workflowId, 'bob', 'approver', 'approve_with_edits', { editedParams: edited })).status).toBe('approved');
    const final = await run.result();
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 10 });
  });

  it('refuses edited params that fail the action schema and keeps the run as it was', async () => {
    const proposal = h.proposal('test.edits');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    const code = await refusalCode(
      decide(run.workflowId, 'alice', 'approver', 'approve_with_edits', { editedParams: { ...proposal.params, url: 'nope' } }),
    );
    expect(code).toBe('invalid');
    const s = await state(run.workflowId);
    expect([s.status, s.round, s.decisions.length]).toEqual(['awaiting_approval', 1, 0]);
    await run.withdraw('agent-7');
  });
});

describe('pattern 3: two-person rule and quorum', () => {
  it('reaches a 2-of-3 quorum despite one rejection when the policy allows it', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.quorum3'));
    await until(run.workflowId, awaiting, 'awaiting');
    expect((await decide(run.workflowId, 'alice', 'approver', 'reject', { comment: 'not sure' })).status).toBe('awaiting_approval');
    await decide(run.workflowId, 'bob', 'approver', 'approve');
    expect((await decide(run.workflowId, 'carol', 'approver', 'approve')).status).toBe('approved');
    expect((await run.result()).status).toBe('succeeded');
  });

  it('opens sequential steps one after the other and mails the next step when it opens', async () => {
    const run = await h.gatehouse.propose(h.proposal('test.sequential'));
    await until(run.workflowId, awaiting, 'awaiting');
    expect(await refusalCode(decide(run.workflowId, 'dave', 'manager', 'approve'))).toBe('not_eligible');
    await decide(run.workflowId, 'carol', 'finance', 'approve');
    const id = run.workflowId.split(':')[1]!;
    await eventually(
      async () =>
        (await readInbox(h.inbox.apiBaseUrl)).some((m) => m.to.includes('dave@test.example') && m.subject.includes(id)) ? true : undefined,
      15_000,
      'mail to the manager',
    );
    await decide(run.workflowId, 'dave', 'manager', 'approve');
    expect((await run.result()).status).toBe('succeeded');
  });
});

describe('pattern 4: sampled approvals', () => {
  it('picks runs for review deterministically per workflow and marks the others sampled out', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => h.gatehouse.propose(h.proposal('test.sampled'))));
    const states = await Promise.all(
      runs.map((r) => until(r.workflowId, (s) => s.status === 'awaiting_approval' || s.status === 'succeeded', 'sampled or not')),
    );
    for (const s of states) {
      const draw = samplingDraw(s.workflowId, h.samplingKey);
      expect(s.evaluation?.sampling).toEqual({ rate: 0.5, draw, picked: draw < 0.5, keyId: h.samplingKey.id });
      expect(s.status).toBe(draw < 0.5 ? 'awaiting_approval' : 'succeeded');
      if (draw >= 0.5) expect(s.evaluation?.reason).toContain('sampled out');
    }
    for (const r of runs) await r.withdraw('agent-7').catch(() => undefined);
  });
});

describe('pattern 5: exception-only review', () => {
  it('runs without review when no trigger fires', async () => {
    const final = await (await h.gatehouse.propose(h.proposal('test.exception'))).result();
    expect(final.status).toBe('succeeded');
    expect(final.evaluation?.outcome).toBe('auto_approve');
  });

  it('asks a reviewer when a trigger fires and shows which and why in the mail', async () => {
    const proposal = h.proposal('test.exception', { evidence: { rationale: 'guess', confidence: 0.4 } });
    const run = await h.gatehouse.propose(proposal);
    const s = await until(run.workflowId, awaiting, 'awaiting');
    expect(s.evaluation?.triggersFired).toEqual([{ id: 'low-confidence', description: 'Agent confidence below 0.7' }]);
    const mail = await eventually(
      async () => (await readInbox(h.inbox.apiBaseUrl)).find((m) => m.to.includes('alice@test.example') && m.subject.includes(proposal.id)),
      15_000,
      'review mail',
    );
    expect(mail.text).toContain('Agent confidence below 0.7');
    await decide(run.workflowId, 'alice', 'approver', 'approve');
    expect((await run.result()).status).toBe('succeeded');
  });
});

describe('decisions', () => {
  it('sends feedback to the agent on request changes; the revision starts a new round and old decisions are stale', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    const oldRound = await h.decision(run.workflowId, { id: 'bob', role: 'approver' }, 'approve');
    await decide(run.workflowId, 'alice', 'approver', 'request_changes', { comment: 'use the EUR amount' });
    expect(await run.feedback()).toMatchObject({ reviewerId: 'alice', comment: 'use the EUR amount', round: 1 });
    await expect(run.revise({ by: 'someone-else', params: proposal.params })).rejects.toBeInstanceOf(ReviseRefusedError);
    expect(await run.revise({ by: 'agent-7', params: { ...proposal.params, body: { amount: 40 } } })).toBe('awaiting_approval');
    const stale = h.client.workflow.getHandle(run.workflowId).executeUpdate(decideUpdate, { args: [oldRound] });
    expect(await refusalCode(stale)).toBe('stale_round');
    await decide(run.workflowId, 'alice', 'approver', 'approve');
    const final = await run.result();
    expect(final.round).toBe(2);
    expect(h.target.bodies.get(final.execution!.idempotencyKey)).toEqual({ amount: 40 });
  });

  it('escalates to the next role on a reviewer’s request, mails it, and lets it decide', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    await decide(run.workflowId, 'alice', 'approver', 'escalate', { comment: 'above my pay grade' });
    await eventually(
      async () =>
        (await readInbox(h.inbox.apiBaseUrl)).some((m) => m.to.includes('erin@test.example') && m.subject.includes(proposal.id))
          ? true
          : undefined,
      15_000,
      'escalation mail',
    );
    await decide(run.workflowId, 'erin', 'head', 'approve');
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions.map((d) => [d.reviewerId, d.kind])).toEqual([
      ['alice', 'escalate'],
      ['erin', 'approve'],
    ]);
  });

  it('delegates to a named eligible reviewer, who is mailed; the delegator can no longer decide', async () => {
    const proposal = h.proposal('test.single');
    const run = await h.gatehouse.propose(proposal);
    await until(run.workflowId, awaiting, 'awaiting');
    await decide(run.workflowId, 'alice', 'approver', 'delegate', { delegateTo: 'bob' });
    expect(await refusalCode(decide(run.workflowId, 'alice', 'approver', 'approve'))).toBe('already_decided');
    await eventually(
      async () =>
        (await readInbox(h.inbox.apiBaseUrl)).some(
          (m) => m.to.includes('bob@test.example') && m.subject.startsWith('[Gatehouse] Delegated') && m.subject.includes(proposal.id),
        )
          ? true
          : undefined,
      15_000,
      'delegation mail',
    );
    await decide(run.workflowId, 'bob', 'approver', 'approve');
    expect((await run.result()).status).toBe('succeeded');
  });
});

describe('after approval', () => {
  it('applies the policy’s written default on expiry, approve, and records that nobody approved', async () => {
    const final = await (await h.gatehouse.propose(h.proposal('test.expire_approve'))).result();
    expect(final.status).toBe('succeeded');
    expect(final.decisions).toEqual([]);
    expect(final.transitions.find((t) => t.to === 'approved')?.note).toBe('expired without decision; policy default outcome: approve');
  });

  it("never lets the policy's approve on expiry override a reviewer who asked for changes", async () => {
    const run = await h.gatehouse.propose(h.proposal('test.expire_approve'));
    await until(run.workflowId, awaiting, 'awaiting');
    await decide(run.workflowId, 'alice', 'approver', 'request_changes', { comment: 'the amount is wrong' });
    const final = await run.result();
    expect(final.status).toBe('expired');
    expect(final.transitions.at(-1)).toMatchObject({ event: 'expired', to: 'expired' });
    expect(final.outcomeReason).toContain('does not override an objection');
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
  });

  it('sends the run back for re-approval with the difference when the world changed after approval', async () => {
    const proposal = h.proposal('test.single');
    const params = { ...proposal.params, preconditionUrl: `${h.target.url}/state/${proposal.id}` };
    h.target.state.set(proposal.id, { version: 7, balance: 100 });
    const run = await h.gatehouse.propose({ ...proposal, params, evidence: { rationale: 'x', preconditions: { version: 7 } } });
    await until(run.workflowId, awaiting, 'awaiting');
    h.target.state.set(proposal.id, { version: 8, balance: 100 });
    await decide(run.workflowId, 'alice', 'approver', 'approve');
    const reopened = await until(run.workflowId, (s) => s.round === 2 && awaiting(s), 're-approval round');
    expect(reopened.preconditionDrift).toEqual([{ field: 'version', expected: 7, actual: 8 }]);
    expect(reopened.transitions.at(-1)?.note).toContain('version 7 → 8');
    expect(h.target.posts.some((k) => k.includes(run.workflowId))).toBe(false);
    const mail = await eventually(
      async () =>
        (await readInbox(h.inbox.apiBaseUrl)).find(
          (m) => m.to.includes('alice@test.example') && m.subject.includes(proposal.id) && m.text.includes('version 7 → 8'),
        ),
      15_000,
      're-approval mail with the difference',
    );
    expect(mail).toBeDefined();
    await decide(run.workflowId, 'alice', 'approver', 'approve');
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('commits an auto-approved run whose target moved in a regular activity, once its new round approved it', async () => {
    const proposal = h.proposal('test.auto');
    const params = { ...proposal.params, preconditionUrl: `${h.target.url}/state/${proposal.id}` };
    h.target.state.set(proposal.id, { version: 8 });
    const run = await h.gatehouse.propose({ ...proposal, params, evidence: { rationale: 'x', preconditions: { version: 7 } } });
    const final = await run.result();
    expect(final.status).toBe('succeeded');
    expect(final.preconditionDrift).toEqual([{ field: 'version', expected: 7, actual: 8 }]);
    // Approved again by its round (an autonomous policy asks nobody), not by the policy's first word.
    expect(final.transitions.map((t) => t.to)).toEqual(expect.arrayContaining(['auto_approved', 'awaiting_approval', 'approved']));
    expect(await commitTries(h.client.workflow.getHandle(run.workflowId))).toEqual({ local: 0, activity: 1 });
    expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
  });

  it('rolls back when verification fails and the action can be undone', async () => {
    const proposal = h.proposal('test.verify');
    const params = proposal.params;
    const id = proposal.id;
    const final = await (
      await h.gatehouse.propose({
        ...proposal,
        params: {
          ...params,
          verify: { url: `${h.target.url}/check/never-${id}` },
          rollback: { method: 'DELETE', url: `${h.target.url}/effects/${id}` },
        },
      })
    ).result();
    expect(final.status).toBe('rolled_back');
    expect(h.target.rollbacks).toContain(id);
  });

  it('needs attention and mails the operators when verification fails without a rollback', async () => {
    const proposal = h.proposal('test.verify');
    const params = proposal.params;
    const final = await (
      await h.gatehouse.propose({ ...proposal, params: { ...params, verify: { url: `${h.target.url}/check/never-${proposal.id}` } } })
    ).result();
    expect(final.status).toBe('needs_attention');
    expect(final.execution?.verification).toEqual({ ok: false, observed: { verifyStatus: 404 } });
    await eventually(
      async () =>
        (await readInbox(h.inbox.apiBaseUrl)).some((m) => m.to.includes('erin@test.example') && m.subject.includes(proposal.id))
          ? true
          : undefined,
      15_000,
      'operator mail',
    );
  });

  it('fails with the error recorded when the target refuses the commit for good', async () => {
    const proposal = h.proposal('test.auto');
    const params = proposal.params;
    const final = await (
      await h.gatehouse.propose({ ...proposal, params: { ...params, url: `${h.target.url}/nowhere/${proposal.id}` } })
    ).result();
    expect(final.status).toBe('failed');
    expect(final.execution?.error).toContain('404');
  });
});

/**
 * The SLA clock does not wait for mail. test.sla reminds at 2 s, escalates to `head` at 4 s and
 * expires (default: deny) at 9 s; here the mail server is down for the whole round, or refuses
 * the reviewers for good, and the run must still escalate and expire on time. Mail that was due
 * reaches everyone exactly once when the server is back; refused mail is recorded on the run and
 * reported to its operators.
 */
import type { ApprovalState } from '../../src/domain/state';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type DevInbox, type Harness } from '../support/harness';
import { readInbox } from '../support/inbox';
import { startRefusingSmtp } from '../support/refusing-smtp';
import { writeFigures } from './support/figures';

const REVIEWERS = ['alice@test.example', 'bob@test.example', 'carol@test.example'];
/** test.sla's ladder, in ms from the round's opening. */
const ESCALATE_AFTER = 4_000;
const EXPIRE_AFTER = 9_000;
/** Timer firing plus a workflow task on a shared 2-core machine. */
const SLACK = 1_500;

/** Milliseconds from the round's opening to the first transition made by `event`. */
function offsetOf(state: ApprovalState, event: string): number {
  const opened = state.transitions.find((t) => t.event === 'round_opened');
  const at = state.transitions.find((t) => t.event === event);
  if (!opened || !at) throw new Error(`no ${event} transition in ${JSON.stringify(state.transitions)}`);
  return Date.parse(at.at) - Date.parse(opened.at);
}

async function untilExpired(h: Harness, workflowId: string): Promise<ApprovalState> {
  return eventually(
    async () => {
      const state = await h.client.workflow.getHandle(workflowId).query(getStateQuery);
      return state.status === 'expired' ? state : undefined;
    },
    30_000,
    'expired',
  );
}

describe('SLA clock while mail fails', () => {
  it('escalates and expires on time with SMTP down through the round, then mails each due notice exactly once', async () => {
    const h = await createHarness();
    let inbox: DevInbox | undefined;
    try {
      await h.startWorker();
      const smtpPort = Number(new URL(h.inbox.smtpUrl).port);
      const webPort = Number(new URL(h.inbox.apiBaseUrl).port);
      await h.inbox.close();

      const run = await h.gatehouse.propose(h.proposal('test.sla'));
      const expired = await untilExpired(h, run.workflowId);
      const escalatedAt = offsetOf(expired, 'escalated');
      const expiredAt = offsetOf(expired, 'expired');
      expect(escalatedAt).toBeGreaterThanOrEqual(ESCALATE_AFTER);
      expect(escalatedAt).toBeLessThan(ESCALATE_AFTER + SLACK);
      expect(expiredAt).toBeGreaterThanOrEqual(EXPIRE_AFTER);
      expect(expiredAt).toBeLessThan(EXPIRE_AFTER + SLACK);
      expect(expired.outcomeReason).toBe('expired without decision; policy default outcome: deny');
      expect(expired.escalationLevel).toBe(1);

      const back = Date.now();
      inbox = await startDevInbox({ smtpPort, webPort });
      const final = await run.result();
      const deliveredAfter = Date.now() - back;
      expect(final.status).toBe('expired');
      expect(final.undeliverable).toBeUndefined();
      await new Promise((r) => setTimeout(r, 1_000));
      const forRun = (await readInbox(inbox.apiBaseUrl)).filter((m) => m.subject.includes(run.workflowId.split(':')[1]!));
      const to = (who: string, prefix: string) =>
        forRun.filter((m) => m.to.includes(who) && m.subject.startsWith(`[Gatehouse] ${prefix}`)).length;
      for (const reviewer of REVIEWERS) {
        expect(to(reviewer, 'Approval needed')).toBe(1);
        expect(to(reviewer, 'Reminder')).toBe(1);
      }
      expect(to('erin@test.example', 'Escalated')).toBe(1);
      expect(forRun).toHaveLength(REVIEWERS.length * 2 + 1);
      writeFigures('sla-smtp-down', {
        escalatedAtMs: escalatedAt,
        expiredAtMs: expiredAt,
        mailsDelivered: forRun.length,
        deliveredWithinMsOfSmtpBack: deliveredAfter,
      });
    } finally {
      await h.close();
      await inbox?.close();
    }
  }, 120_000);

  it('escalates and expires on time when SMTP refuses the reviewers for good, records and reports the refusals', async () => {
    // erin (head of the escalation chain, and the operator) is the one address it accepts.
    const smtp = await startRefusingSmtp(['erin@test.example']);
    const h = await createHarness({ smtpUrl: smtp.url });
    try {
      await h.startWorker();
      const run = await h.gatehouse.propose(h.proposal('test.sla'));
      const final = await run.result();
      expect(final.status).toBe('expired');
      const escalatedAt = offsetOf(final, 'escalated');
      const expiredAt = offsetOf(final, 'expired');
      expect(escalatedAt).toBeLessThan(ESCALATE_AFTER + SLACK);
      expect(expiredAt).toBeLessThan(EXPIRE_AFTER + SLACK);

      const refused = (final.undeliverable ?? []).map((u) => `${u.purpose}:${u.reviewerId}`).sort();
      expect(refused).toEqual(['alice', 'bob', 'carol'].flatMap((id) => [`reminder:${id}`, `review_requested:${id}`]).sort());
      expect(final.undeliverable!.every((u) => /550/.test(u.reason))).toBe(true);
      expect(final.transitions.filter((t) => t.event === 'notice_undeliverable')).toHaveLength(2);
      // The refused addresses were each tried once per notice: a 5xx is not retried.
      expect([...smtp.refused].sort()).toEqual([...REVIEWERS, ...REVIEWERS].sort());

      const toErin = smtp.accepted.filter((m) => m.to.includes('erin@test.example') && m.subject.includes(run.workflowId.split(':')[1]!));
      expect(toErin.filter((m) => m.subject.startsWith('[Gatehouse] Escalated'))).toHaveLength(1);
      expect(toErin.filter((m) => m.subject.startsWith('[Gatehouse] Mail undeliverable'))).toHaveLength(2);
      writeFigures('sla-smtp-refusing', {
        escalatedAtMs: escalatedAt,
        expiredAtMs: expiredAt,
        refusedRecorded: refused.length,
        operatorMails: 2,
      });
    } finally {
      await h.close();
      await smtp.close();
    }
  }, 60_000);
});

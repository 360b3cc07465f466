/**
 * The mail server is down when the review notification is due: the notify activity fails and is
 * retried, the run keeps waiting, and once an SMTP inbox listens on the same port again every
 * reviewer gets exactly one mail, still one after the retries have settled; the run then goes on.
 *
 * Two set-ups: the worker process as production runs it (SMTP only: the send itself fails), and
 * the dev set-up whose mailer first asks the inbox's API for an already-sent Message-ID (the
 * whole inbox is down). The first needs `npm run build`.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { GatehouseClient } from '../../src/client';
import { startDevInbox } from '../../src/mail/dev-inbox';
import { freePort } from '../../src/util/free-port';
import { decideUpdate, getStateQuery } from '../../workflows/messages';
import { createHarness, eventually, type DevInbox } from '../support/harness';
import { readInbox, type ReceivedMail } from '../support/inbox';
import { startSlowTarget } from './support/slow-target';
import { approveWhenWaiting, httpProposal, prepareWorkerSetup } from './support/worker-setup';
import { spawnWorker } from './support/worker-process';

const REVIEWERS = ['alice@test.example', 'bob@test.example', 'carol@test.example'];

/** The notify activity's pending attempt, as the server sees it. */
async function pendingNotify(client: Client, workflowId: string): Promise<{ attempt: number; failure: string } | undefined> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  const pending = raw.pendingActivities?.find((a) => a.activityType?.name === 'notify');
  return pending ? { attempt: pending.attempt ?? 0, failure: pending.lastFailure?.message ?? '' } : undefined;
}

/** Waits for `attempts` failed notify attempts while the run waits for approval; returns the failure. */
async function untilNotifyFailed(client: Client, workflowId: string, attempts: number): Promise<string> {
  const failing = await eventually(
    async () => {
      const pending = await pendingNotify(client, workflowId);
      return pending && pending.attempt >= attempts ? pending : undefined;
    },
    30_000,
    `${attempts} failed notify attempts`,
  );
  expect((await client.workflow.getHandle(workflowId).query(getStateQuery)).status).toBe('awaiting_approval');
  return failing.failure;
}

/** The run's mails once three arrived and the notify activity is done (and a second later). */
async function settledMails(client: Client, inbox: DevInbox, workflowId: string): Promise<ReceivedMail[]> {
  const forRun = async () => (await readInbox(inbox.apiBaseUrl)).filter((m) => m.subject.includes(workflowId.split(':')[1]!));
  await eventually(async () => ((await forRun()).length >= REVIEWERS.length ? true : undefined), 60_000, 'review mails');
  await eventually(async () => ((await pendingNotify(client, workflowId)) === undefined ? true : undefined), 30_000, 'notify done');
  await new Promise((r) => setTimeout(r, 1_000));
  return forRun();
}

describe('SMTP server down when a review is requested', () => {
  it('retries the failed send in the worker process and mails each reviewer exactly once when SMTP is back', async () => {
    const address = process.env['GATEHOUSE_TEST_TEMPORAL_ADDRESS']!;
    const smtpPort = await freePort();
    const setup = prepareWorkerSetup();
    const taskQueue = `smtp-${randomUUID()}`;
    const target = await startSlowTarget();
    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const gatehouse = await GatehouseClient.connect({ client, taskQueue, agentKey: setup.agentKey });
    // Production mail: SMTP only, no inbox API to ask for already-sent mail.
    const worker = spawnWorker(
      setup.env({ TEMPORAL_ADDRESS: address, GATEHOUSE_TASK_QUEUE: taskQueue, SMTP_URL: `smtp://127.0.0.1:${smtpPort}` }),
    );
    let inbox: DevInbox | undefined;
    try {
      const id = `smtp-${randomUUID()}`;
      const run = await gatehouse.propose(httpProposal(target.url, id, true));
      expect(await untilNotifyFailed(client, run.workflowId, 3)).toMatch(/SMTP send failed/);

      inbox = await startDevInbox({ smtpPort, webPort: 0 });
      const mails = await settledMails(client, inbox, run.workflowId);
      expect(mails.flatMap((m) => m.to).sort()).toEqual(REVIEWERS);
      expect(mails.every((m) => m.subject.startsWith('[Gatehouse] Approval needed'))).toBe(true);

      await approveWhenWaiting(client.workflow.getHandle(run.workflowId), setup);
      expect((await run.result()).status).toBe('succeeded');
      expect(target.effects.get(id)).toBe(1);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nworker output:\n${worker.output()}`, { cause: err });
    } finally {
      await worker.stop();
      await inbox?.close();
      await target.close();
      await connection.close();
    }
  }, 120_000);

  it('retries while the whole dev inbox is down and mails each reviewer exactly once when it is back', async () => {
    const h = await createHarness();
    let inbox: DevInbox | undefined;
    try {
      await h.startWorker();
      const smtpPort = Number(new URL(h.inbox.smtpUrl).port);
      const webPort = Number(new URL(h.inbox.apiBaseUrl).port);
      await h.inbox.close();

      const run = await h.gatehouse.propose(h.proposal('test.quorum'));
      expect(await untilNotifyFailed(h.client, run.workflowId, 3)).toMatch(/unreachable/);

      inbox = await startDevInbox({ smtpPort, webPort });
      const mails = await settledMails(h.client, inbox, run.workflowId);
      expect(mails.flatMap((m) => m.to).sort()).toEqual(REVIEWERS);

      const handle = h.client.workflow.getHandle(run.workflowId);
      for (const id of ['alice', 'bob']) {
        await handle.executeUpdate(decideUpdate, { args: [await h.decision(run.workflowId, { id, role: 'approver' }, 'approve')] });
      }
      const final = await run.result();
      expect(final.status).toBe('succeeded');
      expect(h.target.effects.get(final.execution!.idempotencyKey)).toBe(1);
    } finally {
      await h.close();
      await inbox?.close();
    }
  }, 120_000);
});

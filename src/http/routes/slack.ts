/**
 * Slack's interactivity endpoint: `POST /slack/interactions`. The signature over the raw body and
 * its timestamp window are checked first, for every request, before the body is parsed; then the
 * replay cache. The Slack user is mapped to a reviewer through the directory only, and must be the
 * person the card's grant names. The decision goes the way a link decision goes (signed by this
 * service, carrying the worker's grant, recorded with channel `slack`), waiting at most 2 s for a
 * worker before it is queued as a signal: Slack wants an answer within 3 s.
 *
 * A click Gatehouse refuses (a Slack user nobody in the directory, not the card's reviewer, not
 * eligible, self-approval, slot or run closed) is answered 200 with a message only the clicker
 * sees, posted to the click's `response_url` (a modal's submission shows it in the modal): an
 * error status would only make Slack show "this app responded with an error" and say nothing.
 */
import express, { Router, type Response } from 'express';
import { DecisionRefusedError, RunNotFoundError } from '../../client/errors';
import type { Reviewer } from '../../domain/policy';
import { LinkTokenError, verifyLinkToken } from '../../links/token';
import { reasonModal, SlackAction, REASON_MODAL } from '../../slack/card';
import type { SlackApi, SlackBlocks, SlackCardRef } from '../../slack/client';
import {
  ActionValueSchema,
  DECISION_ACTIONS,
  ModalMetadataSchema,
  parseInteraction,
  SlackPayloadError,
  SlackUserNotReviewerError,
  type Interaction,
  type ModalMetadata,
} from '../../slack/interaction';
import type { ReplayCache } from '../../slack/replay-cache';
import { verifySlackSignature } from '../../slack/signature';
import type { RouteContext } from '../context';
import { decide, logDecision, type DecisionResult } from '../decide';
import type { ReviewerDecision } from '../decision-input';
import { problemFor } from '../error-status';
import { LinkNotUsableError } from '../errors';

export interface SlackRouteOptions {
  signingSecret: string;
  api: SlackApi;
  /** The reviewer directory: a Slack user id means a reviewer only through `slackId` here. */
  people: readonly Pick<Reviewer, 'id' | 'slackId'>[];
  replayCache: ReplayCache;
}

/** Under Slack's 3 s, with room for signing and the answer's trip. */
const SLACK_DECISION_TIMEOUT_MS = 2_000;

export function slackRouter(ctx: RouteContext, options: SlackRouteOptions): Router {
  const router = Router();
  router.post('/slack/interactions', express.raw({ type: () => true, limit: '64kb' }), async (req, res) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const signature = req.get('x-slack-signature');
    verifySlackSignature(options.signingSecret, { timestamp: req.get('x-slack-request-timestamp'), signature, rawBody }, ctx.now());
    options.replayCache.admit(signature ?? '', ctx.now());
    const interaction = parseInteraction(rawBody);
    try {
      const reviewerId = options.people.find((p) => p.slackId !== undefined && p.slackId === interaction.user.id)?.id;
      if (!reviewerId) throw new SlackUserNotReviewerError();
      await handle(ctx, options, interaction, reviewerId, res);
    } catch (err) {
      if (!isRefusal(err) || res.headersSent || !(await refuse(ctx, options.api, interaction, err, res))) throw err;
    }
  });
  return router;
}

/** Refusals of who clicked or of the run's state, not of the request: the clicker is told, nothing is decided. */
function isRefusal(err: unknown): boolean {
  return (
    err instanceof SlackUserNotReviewerError ||
    err instanceof DecisionRefusedError ||
    err instanceof LinkNotUsableError ||
    err instanceof LinkTokenError ||
    err instanceof RunNotFoundError
  );
}

/**
 * Tells the clicker why nothing was decided, and answers Slack 200. Returns false when there is no
 * way to tell them (a click without `response_url`), so the error's own status answers.
 */
async function refuse(ctx: RouteContext, api: SlackApi, interaction: Interaction, err: unknown, res: Response): Promise<boolean> {
  const problem = problemFor(err);
  const text = `${problem.title}. ${problem.message}`;
  ctx.logger.info({ code: problem.code, slackUser: interaction.user.id }, 'slack decision refused');
  if (interaction.type === 'view_submission') {
    res.status(200).json({ response_action: 'errors', errors: { [REASON_MODAL.blockId]: text } });
    return true;
  }
  if (!interaction.response_url) return false;
  try {
    await api.respond(interaction.response_url, text);
  } catch (respondErr) {
    ctx.logger.warn({ err: respondErr }, 'slack refusal not delivered');
  }
  res.status(200).end();
  return true;
}

async function handle(ctx: RouteContext, options: SlackRouteOptions, interaction: Interaction, reviewerId: string, res: Response) {
  switch (interaction.type) {
    case 'block_actions': {
      const action = interaction.actions[0];
      if (!action || action.action_id === SlackAction.openEvidence || !DECISION_ACTIONS.has(action.action_id)) {
        res.status(200).end();
        return;
      }
      const value = action.value ?? '';
      const card = cardOf(interaction.container);
      if (action.action_id === SlackAction.approve) {
        const result = await decideFromSlack(ctx, value, reviewerId, { kind: 'approve' });
        res.status(200).end();
        void markQueued(ctx, options.api, card, reviewerId, result, interaction.message?.blocks);
        return;
      }
      // A rejection and a change request need a reason: ask for it, decide on the submission.
      // The claims are checked now too, so a stranger's click opens nothing.
      claimsFor(ctx, value, reviewerId);
      const kind = action.action_id === SlackAction.reject ? 'reject' : 'request_changes';
      const metadata: ModalMetadata = { kind, value, ...(card ? { card: { channel_id: card.channel, message_ts: card.ts } } : {}) };
      await options.api.openModal(interaction.trigger_id, reasonModal(kind, JSON.stringify(metadata)));
      res.status(200).end();
      return;
    }
    case 'view_submission': {
      const metadata = ModalMetadataSchema.safeParse(safeJson(interaction.view.private_metadata));
      if (!metadata.success) throw new SlackPayloadError('modal metadata is not Gatehouse’s');
      const comment = interaction.view.state.values[REASON_MODAL.blockId]?.[REASON_MODAL.actionId]?.value?.trim() ?? '';
      if (!comment) {
        res.status(200).json({ response_action: 'errors', errors: { [REASON_MODAL.blockId]: 'A reason is needed.' } });
        return;
      }
      const result = await decideFromSlack(ctx, metadata.data.value, reviewerId, { kind: metadata.data.kind, comment });
      res.status(200).end();
      const card = metadata.data.card;
      void markQueued(ctx, options.api, card ? { channel: card.channel_id, ts: card.message_ts } : undefined, reviewerId, result);
      return;
    }
    default: {
      const unreachable: never = interaction;
      throw new SlackPayloadError(`unknown interaction ${String(unreachable)}`);
    }
  }
}

/** The card's claims, checked: genuine, unexpired, and granted to the reviewer who clicked. */
function claimsFor(ctx: RouteContext, value: string, reviewerId: string) {
  const parsed = ActionValueSchema.safeParse(value);
  if (!parsed.success) throw new SlackPayloadError('not a Gatehouse card value');
  const claims = verifyLinkToken(parsed.data.token, ctx.linkKeyring, ctx.now());
  if (claims.sub !== reviewerId) throw new SlackUserNotReviewerError();
  return { claims, paramsHash: parsed.data.paramsHash };
}

async function decideFromSlack(
  ctx: RouteContext,
  value: string,
  reviewerId: string,
  decision: { kind: 'approve' } | { kind: 'reject' | 'request_changes'; comment: string },
): Promise<DecisionResult> {
  const { claims, paramsHash } = claimsFor(ctx, value, reviewerId);
  const reviewerDecision: ReviewerDecision = { ...decision, paramsHash };
  const result = await decide(
    {
      client: ctx.client,
      signer: ctx.signer,
      timeoutMs: Math.min(ctx.decisionTimeoutMs, SLACK_DECISION_TIMEOUT_MS),
      queryTimeoutMs: ctx.queryTimeoutMs,
      channel: 'slack',
    },
    claims,
    reviewerDecision,
    new Date(ctx.now()),
  );
  logDecision(ctx.logger, claims, result, 'slack');
  return result;
}

/**
 * A decision the workflow applied edits every card of the run from the worker. One only queued
 * (no worker answered) would leave the clicked card showing its buttons until a worker is back, so
 * this service says on that card what was recorded and takes the buttons off.
 */
async function markQueued(
  ctx: RouteContext,
  api: SlackApi,
  card: SlackCardRef | undefined,
  reviewerId: string,
  result: DecisionResult,
  shown: SlackBlocks = [],
) {
  if (!card || result.applied) return;
  const line = `${result.kind.replace(/_/g, ' ')} by ${reviewerId} through slack: recorded, applied when Gatehouse catches up`;
  const facts = shown.filter((b) => b.type !== 'actions');
  try {
    await api.update(card, { text: line, blocks: [...facts, { type: 'section', text: { type: 'plain_text', text: line, emoji: false } }] });
  } catch (err) {
    ctx.logger.warn({ err }, 'slack card not updated');
  }
}

function cardOf(container: { channel_id?: string | undefined; message_ts?: string | undefined } | undefined): SlackCardRef | undefined {
  return container?.channel_id && container.message_ts ? { channel: container.channel_id, ts: container.message_ts } : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

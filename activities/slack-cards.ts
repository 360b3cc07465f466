/**
 * Activity: bring every Slack card of a run up to date after its state changed (a decision by any
 * channel, expiry, withdrawal, the commit's outcome). Each card says who decided what, when and
 * through which channel; a card keeps its buttons only while its reviewer may still decide, with
 * a freshly granted value. `chat.update` replaces the whole message, so a retry is harmless.
 */
import type { ApprovalState } from '../src/domain/state';
import { buildEvidencePack, EVIDENCE_CAPS } from '../src/evidence/pack';
import { closedCard, openCard } from '../src/slack/card';
import { cardIsOpen, statusLines } from '../src/slack/card-status';
import { actionValue } from '../src/slack/interaction';
import { cardTokens, type NotifyDeps } from './notify';

export interface UpdateSlackCardsInput {
  state: ApprovalState;
}

export function createUpdateSlackCards(deps: NotifyDeps) {
  return async function updateSlackCards(input: UpdateSlackCardsInput): Promise<{ updated: number }> {
    const { state } = input;
    const slack = deps.slack;
    const cards = state.slackCards ?? [];
    if (!slack || cards.length === 0) return { updated: 0 };
    const pack = buildEvidencePack(
      {
        proposal: state.proposal,
        evaluation: state.evaluation,
        paramsHash: state.paramsHash,
        round: state.round,
        deadline: state.deadline,
        originalParams: state.originalParams,
      },
      EVIDENCE_CAPS.mail,
    );
    const lines = statusLines(state);
    const issue = cardTokens(deps, { workflowId: state.workflowId, round: state.round, deadline: state.deadline });
    const dms = new Map<string, string | undefined>();
    let updated = 0;
    for (const card of cards) {
      const ref = { channel: card.channel, ts: card.ts };
      if (!(await isReviewersDm(slack, dms, card))) {
        deps.logger.warn(
          { workflowId: state.workflowId, reviewerId: card.reviewerId },
          'slack card record is not in its reviewer’s DM: left alone',
        );
        continue;
      }
      updated += 1;
      if (!cardIsOpen(state, card)) {
        const superseded =
          card.round !== state.round ? [`This card is for round ${card.round}; the proposal is now in round ${state.round}.`] : [];
        await slack.api.update(ref, closedCard(pack, [...superseded, ...lines]));
        continue;
      }
      const claims = { sub: card.reviewerId, role: card.role };
      await slack.api.update(
        ref,
        openCard({
          pack,
          lines,
          evidenceUrl: issue(claims, 'link').url,
          ...(state.evaluation?.slackButtons !== false ? { actionValue: actionValue(state.paramsHash, issue(claims, 'slack').token) } : {}),
        }),
      );
    }
    deps.logger.info({ workflowId: state.workflowId, cards: updated, status: state.status }, 'slack cards updated');
    return { updated };
  };
}

/**
 * Card records come from the notify activity's result, which anyone with Temporal access can
 * complete by activity id with records of their own; an update writes fresh decision links for
 * the card's reviewer. So a record is edited only where cards are posted: the app's DM with the
 * reviewer the directory names.
 */
async function isReviewersDm(
  slack: NonNullable<NotifyDeps['slack']>,
  dms: Map<string, string | undefined>,
  card: { reviewerId: string; channel: string },
): Promise<boolean> {
  if (!dms.has(card.reviewerId)) {
    const slackId = slack.people.find((p) => p.id === card.reviewerId)?.slackId;
    dms.set(card.reviewerId, slackId ? await slack.api.dmChannel(slackId) : undefined);
  }
  const dm = dms.get(card.reviewerId);
  return dm !== undefined && dm === card.channel;
}

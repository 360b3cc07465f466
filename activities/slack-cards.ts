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
    for (const card of cards) {
      const ref = { channel: card.channel, ts: card.ts };
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
    deps.logger.info({ workflowId: state.workflowId, cards: cards.length, status: state.status }, 'slack cards updated');
    return { updated: cards.length };
  };
}

/**
 * Posting a notice's Slack cards: one card per recipient who decides in a role and has a `slackId`
 * in the reviewer directory, when the run's policy reaches reviewers in Slack. Each card carries
 * two grants the worker mints here: one in the "Open evidence" link (a mailed link's kind) and one
 * in the buttons' value, which only signs a decision recorded as made in Slack.
 */
import type { PolicyEvaluation } from '../domain/evaluation';
import type { Reviewer } from '../domain/policy';
import type { Proposal } from '../domain/proposal';
import { buildEvidencePack, EVIDENCE_CAPS } from '../evidence/pack';
import type { LinkClaims } from '../links/token';
import { openCard } from './card';
import type { SlackApi, SlackCardRef } from './client';
import { actionValue } from './interaction';

export interface SlackNotifyDeps {
  api: SlackApi;
  /** The reviewer directory: the only source of a person's Slack id. */
  people: readonly Pick<Reviewer, 'id' | 'slackId'>[];
}

export interface CardNotice {
  workflowId: string;
  round: number;
  proposal: Proposal;
  evaluation: PolicyEvaluation;
  paramsHash: string;
  deadline?: string;
  recipients: readonly { reviewerId: string; role: string }[];
}

/** A posted card, for whoever later edits it (recorded on the run). */
export interface PostedCard extends SlackCardRef {
  round: number;
  reviewerId: string;
  role: string;
}

/** Mints a link token for these claims; `slack` tokens sign only Slack decisions. */
export type TokenIssuer = (claims: Pick<LinkClaims, 'sub' | 'role'>, channel: 'link' | 'slack') => { token: string; url: string };

export function wantsSlack(evaluation: PolicyEvaluation): boolean {
  return evaluation.channels?.includes('slack') ?? false;
}

export async function postCards(deps: SlackNotifyDeps, notice: CardNotice, issue: TokenIssuer): Promise<PostedCard[]> {
  const pack = buildEvidencePack(
    {
      proposal: notice.proposal,
      evaluation: notice.evaluation,
      paramsHash: notice.paramsHash,
      round: notice.round,
      deadline: notice.deadline,
    },
    EVIDENCE_CAPS.mail,
  );
  const buttons = notice.evaluation.slackButtons !== false;
  const posted: PostedCard[] = [];
  for (const recipient of notice.recipients) {
    const slackId = deps.people.find((p) => p.id === recipient.reviewerId)?.slackId;
    if (!slackId) continue;
    const claims = { sub: recipient.reviewerId, role: recipient.role };
    const card = openCard({
      pack,
      evidenceUrl: issue(claims, 'link').url,
      ...(buttons ? { actionValue: actionValue(notice.paramsHash, issue(claims, 'slack').token) } : {}),
    });
    posted.push({ round: notice.round, reviewerId: recipient.reviewerId, role: recipient.role, ...(await deps.api.post(slackId, card)) });
  }
  return posted;
}

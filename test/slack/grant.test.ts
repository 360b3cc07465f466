import { randomUUID } from 'node:crypto';
import { checkCredential } from '../../src/domain/credential';
import type { DecisionPayload } from '../../src/domain/decision';
import { createBytesSigner, createDecisionSigner, generateDecisionKeyPair } from '../../src/links/decision-signer';
import { grantFor } from '../../src/links/link-issuer';

const decisionKeys = generateDecisionKeyPair();
const signer = createDecisionSigner({ keyId: 'svc', privateKeyHex: decisionKeys.privateKeyHex });
const grantKeys = generateDecisionKeyPair();
const grantSigner = createBytesSigner({ keyId: 'grant', privateKeyHex: grantKeys.privateKeyHex });
const keys = { decision: { svc: decisionKeys.publicKeyHex }, grants: { grant: grantKeys.publicKeyHex }, operators: {} };

function decision(channel: 'link' | 'slack', grantChannel: 'link' | 'slack', reviewer = 'alice') {
  const exp = Math.floor(Date.now() / 1000) + 600;
  const base: Omit<DecisionPayload, 'channel' | 'grant'> = {
    nonce: randomUUID(),
    workflowId: 'agent-7:p-1',
    round: 1,
    reviewer: { id: reviewer, role: 'approver' },
    kind: 'approve',
    paramsHash: `sha256:${'0'.repeat(64)}`,
    decidedAt: new Date().toISOString(),
  };
  const grant = grantFor(
    { wf: base.workflowId, round: 1, sub: 'alice', role: 'approver', exp, nonce: base.nonce },
    grantSigner,
    grantChannel,
  );
  return signer.sign({ ...base, channel, grant });
}

describe('Slack card grants', () => {
  it('accepts a Slack decision carrying the grant minted for that reviewer’s card', () => {
    expect(checkCredential(decision('slack', 'slack'), keys, Date.now())).toEqual({ ok: true });
  });

  it('refuses a card grant presented as a mailed link’s, and a link grant presented as a card’s', () => {
    expect(checkCredential(decision('link', 'slack'), keys, Date.now()).ok).toBe(false);
    expect(checkCredential(decision('slack', 'link'), keys, Date.now()).ok).toBe(false);
  });

  it('refuses a Slack decision for another reviewer than the card’s', () => {
    expect(checkCredential(decision('slack', 'slack', 'bob'), keys, Date.now()).ok).toBe(false);
  });
});

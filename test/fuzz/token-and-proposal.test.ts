/** Property-based checks: no input makes the token parser or the proposal validation misbehave. */
import fc from 'fast-check';
import { builtInActionTypes } from '../../src/actions/registry';
import { ProposalValidationError } from '../../src/client/errors';
import { validateProposal } from '../../src/client/validate';
import { ProposalSchema } from '../../src/domain/proposal';
import { generateLinkSecret, parseLinkKeyring } from '../../src/links/keyring';
import { LinkTokenError, newNonce, signLinkToken, verifyLinkToken } from '../../src/links/token';

const keyring = parseLinkKeyring(`k1:${generateLinkSecret()}`);
const valid = signLinkToken(
  { wf: 'payment.refund:r1', round: 1, sub: 'fred', role: 'finance', exp: 4_000_000_000, nonce: newNonce() },
  keyring,
);
const tokenish = fc.oneof(
  fc.string({ maxLength: 3000 }),
  fc.stringMatching(/^v1\.[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,300}\.[A-Za-z0-9_-]{0,60}$/),
  // the valid token with one character changed, cut, or extended
  fc.tuple(fc.nat(valid.length - 1), fc.string({ minLength: 1, maxLength: 1 })).map(([i, c]) => valid.slice(0, i) + c + valid.slice(i + 1)),
  fc.nat(valid.length - 1).map((i) => valid.slice(0, i)),
  fc.string({ maxLength: 50 }).map((s) => valid + s),
);

describe('link token parser under arbitrary input', () => {
  it('only ever accepts the exact signed token, and refuses everything else with a LinkTokenError', () => {
    fc.assert(
      fc.property(tokenish, (token) => {
        try {
          const claims = verifyLinkToken(token, keyring, Date.now());
          return token === valid && claims.sub === 'fred';
        } catch (err) {
          return err instanceof LinkTokenError && token !== valid;
        }
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('proposal validation under arbitrary input', () => {
  const actionTypes = builtInActionTypes();
  const near = fc.record(
    {
      id: fc.oneof(fc.string(), fc.constant('refund-1')),
      actionType: fc.constantFrom('payment.refund', 'email.send', 'nope', 'x'),
      params: fc.oneof(fc.object(), fc.constant({ customerId: 'c', amount: 5, currency: 'EUR', reason: 'r' })),
      agent: fc.oneof(fc.object(), fc.constant({ id: 'a', name: 'A' })),
      requestedBy: fc.oneof(fc.object(), fc.constant({ id: 'p' })),
      summary: fc.string({ maxLength: 250 }),
      evidence: fc.oneof(fc.object(), fc.constant({})),
    },
    { requiredKeys: [] },
  );

  it('returns a proposal that re-validates, or throws ProposalValidationError with the bad fields — nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), near), (input) => {
        try {
          const proposal = validateProposal(input as never, actionTypes);
          return ProposalSchema.safeParse(proposal).success;
        } catch (err) {
          return (
            err instanceof ProposalValidationError &&
            err.problems.length > 0 &&
            err.problems.every((p) => p.path.length > 0 && p.message.length > 0)
          );
        }
      }),
      { numRuns: 2_000 },
    );
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_LOG_PATHS } from '../../../src/observability/logger';

const CARD = '4111111111111111';

/** A logger with the production redaction writing into a string. */
function capture(): { logger: pino.Logger; lines: () => string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      out += String(chunk);
      done();
    },
  });
  return { logger: pino({ redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }, sink), lines: () => out };
}

describe('logger redaction', () => {
  it('never writes a policy-redacted param or agent and reviewer text, at any depth a call site uses', () => {
    const { logger, lines } = capture();
    const proposal = { params: { body: { card: CARD } }, summary: `Refund ${CARD}`, evidence: { preview: CARD } };
    logger.info({ proposal }, 'proposal');
    logger.info({ params: proposal.params, summary: proposal.summary, comment: `card ${CARD}` }, 'flat');
    logger.info({ input: { proposal, editedParams: { card: CARD } } }, 'nested');
    logger.info({ run: { state: { params: { card: CARD }, evidence: { preview: CARD } } } }, 'deep');
    expect(lines()).not.toContain(CARD);
    expect(lines().split('\n').filter(Boolean)).toHaveLength(4);
    expect(lines()).toContain('[redacted]');
  });
});

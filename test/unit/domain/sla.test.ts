/** The policy's SLA: repeated reminders are bounded so a typo cannot mail reviewers in a loop. */
import { SlaSchema } from '../../../src/domain/policy';

describe('sla.remindEvery', () => {
  it('takes a period of a second or more, in milliseconds', () => {
    expect(SlaSchema.parse({ remindAfter: '1d', remindEvery: '1d', expireAfter: '30d' }).remindEvery).toBe(86_400_000);
    expect(SlaSchema.parse({ remindEvery: '1s', expireAfter: '5s' }).remindEvery).toBe(1_000);
  });

  it.each([
    ['a millisecond period', { remindEvery: '1ms', expireAfter: '1d' }, 'must be at least 1s'],
    ['a period as long as the round', { remindEvery: '2d', expireAfter: '2d' }, 'must be shorter than expireAfter'],
  ])('refuses %s, naming the field', (_what, sla, message) => {
    const result = SlaSchema.safeParse(sla);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: ['remindEvery'], message: expect.stringContaining(message) })]),
    );
  });
});

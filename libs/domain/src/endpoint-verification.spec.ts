import {
  challengeOf,
  checkChallengeAnswer,
  mayReceiveEvents,
  newVerificationChallenge,
  shownVerification,
  verificationPayload,
} from './endpoint-verification';

describe('endpoint verification', () => {
  const challenge = newVerificationChallenge();

  it('makes a random challenge and the exact body the receiver gets', () => {
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(newVerificationChallenge()).not.toBe(challenge);
    expect(verificationPayload('abc')).toBe('{"type":"endpoint.verification","challenge":"abc"}');
    expect(challengeOf({ eventType: 'endpoint.verification', payload: verificationPayload('abc') })).toBe(
      'abc',
    );
    expect(challengeOf({ eventType: 'invoice.paid', payload: verificationPayload('abc') })).toBeNull();
    expect(challengeOf({ eventType: 'endpoint.verification', payload: '{"challenge":"abc"}' })).toBeNull();
  });

  it.each([
    [{ statusCode: 200, body: JSON.stringify({ challenge }) }, 'ok'],
    [{ statusCode: 204, body: JSON.stringify({ challenge, extra: 1 }) }, 'ok'],
    [{ statusCode: 200, body: JSON.stringify({ challenge: 'other' }) }, 'wrong_answer'],
    [{ statusCode: 200, body: '' }, 'wrong_answer'],
    [{ statusCode: 200, body: challenge }, 'wrong_answer'],
    [{ statusCode: 200, body: 'null' }, 'wrong_answer'],
    [{ statusCode: 500, body: JSON.stringify({ challenge }) }, 'http_status'],
    [{ statusCode: 0, body: 'timeout' }, 'http_status'],
  ])('judges the answer %j as %s', (response, expected) => {
    expect(checkChallengeAnswer(response, challenge)).toBe(expected);
  });

  it('shows a pending challenge past its deadline as expired, and lets only verified endpoints receive', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(shownVerification(null, null, now)).toBeNull();
    expect(shownVerification('pending', new Date('2026-12-02T12:00:01Z'), now)).toBe('pending');
    expect(shownVerification('pending', new Date('2026-12-02T12:00:00Z'), now)).toBe('expired');
    expect(shownVerification('verified', new Date('2026-12-01T00:00:00Z'), now)).toBe('verified');
    expect(shownVerification('failed', null, now)).toBe('failed');
    expect([null, 'verified', 'pending', 'failed', 'expired'].map(mayReceiveEvents)).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

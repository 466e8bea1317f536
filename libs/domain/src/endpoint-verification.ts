import { randomBytes } from 'node:crypto';

/**
 * Endpoint ownership verification (docs/verification.md): before an endpoint that needs it receives any
 * event, its owner must answer a signed challenge with the same random value.
 */
export type VerificationState = 'pending' | 'verified' | 'failed' | 'expired';

/** The challenge message's event type, and the `type` of its body. */
export const VERIFICATION_EVENT_TYPE = 'endpoint.verification';

/**
 * The `eventId` of the message that carries a challenge: one message per challenge, so sending it again (the
 * reconciler, after a crash between the endpoint's commit and the send) is a no-op when it went out already,
 * and the reconciler finds a challenge's message by the application's `(application_id, event_id)` index.
 */
export function verificationEventId(challenge: string): string {
  return `${VERIFICATION_EVENT_TYPE}.${challenge}`;
}

/** A fresh random challenge (192 bits, URL-safe). */
export function newVerificationChallenge(): string {
  return randomBytes(24).toString('base64url');
}

/** The exact JSON body of the challenge: `{"type":"endpoint.verification","challenge":"…"}`. */
export function verificationPayload(challenge: string): string {
  return JSON.stringify({ type: VERIFICATION_EVENT_TYPE, challenge });
}

/** What the API shows: a pending challenge past its deadline is expired, whether or not it was sent. */
export function shownVerification(
  stored: string | null,
  expiresAt: Date | null,
  now: Date = new Date(),
): VerificationState | null {
  if (stored === null) return null;
  if (stored === 'pending' && expiresAt !== null && expiresAt <= now) return 'expired';
  return stored as VerificationState;
}

/** True when a delivery to an endpoint may go out: verification not required, or done. */
export function mayReceiveEvents(stored: string | null): boolean {
  return stored === null || stored === 'verified';
}

/** How a receiver answered the challenge. */
export type ChallengeAnswer = 'ok' | 'http_status' | 'wrong_answer';

/** `ok` only for a 2xx whose body is a JSON object with `challenge` equal to the one sent. */
export function checkChallengeAnswer(
  response: { statusCode: number; body: string },
  challenge: string,
): ChallengeAnswer {
  if (response.statusCode < 200 || response.statusCode >= 300) return 'http_status';
  try {
    const body = JSON.parse(response.body) as unknown;
    const echoed =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>).challenge : undefined;
    return echoed === challenge ? 'ok' : 'wrong_answer';
  } catch {
    return 'wrong_answer';
  }
}

/** The challenge a message carries, if it is a verification challenge; null for any other message. */
export function challengeOf(message: { eventType: string; payload: string }): string | null {
  if (message.eventType !== VERIFICATION_EVENT_TYPE) return null;
  try {
    const body = JSON.parse(message.payload) as Record<string, unknown>;
    return body.type === VERIFICATION_EVENT_TYPE && typeof body.challenge === 'string'
      ? body.challenge
      : null;
  } catch {
    return null;
  }
}

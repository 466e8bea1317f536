import { DomainError } from '@app/domain';

/**
 * Manual sending (resend, recover, replay-missing, send-example) to a disabled endpoint is refused: nothing
 * is ever sent to a disabled endpoint (as in Svix, whose worker drops such tasks), so accepting the request
 * would only drop it silently. 409 because enabling the endpoint resolves it.
 */
export function assertEndpointEnabled(endpoint: { disabled: boolean }): void {
  if (endpoint.disabled) {
    throw DomainError.conflict(
      'endpoint_disabled',
      'The endpoint is disabled, so nothing is sent to it; enable it first.',
    );
  }
}

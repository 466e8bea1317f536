/**
 * Which endpoints a message fans out to, with Svix's rules (svix-server `CreateMessageApp::filtered_endpoints`,
 * docs "Channels filtering rules"):
 * - a disabled endpoint gets nothing;
 * - no event-type filter means every event type; otherwise the exact, case-sensitive name must be listed;
 * - no channel filter means every message, with or without channels; otherwise the message must share at least
 *   one channel (case-sensitive), so a message without channels does not reach an endpoint that filters by them.
 * The two filters are independent and both must pass.
 *
 * Svix's API refuses an empty `filterTypes` and an empty `channels` list (null is the only "no filter"); should
 * an empty list reach this function anyway, it is read as "no filter" rather than "nothing", so a bad row can
 * never silently swallow every message.
 */
export interface EndpointFilter {
  eventTypes?: readonly string[] | null;
  channels?: readonly string[] | null;
  disabled: boolean;
}

export interface MessageRouting {
  eventType: string;
  channels?: readonly string[] | null;
}

export function endpointWantsMessage(endpoint: EndpointFilter, message: MessageRouting): boolean {
  if (endpoint.disabled) return false;
  const eventTypes = endpoint.eventTypes ?? [];
  if (eventTypes.length > 0 && !eventTypes.includes(message.eventType)) return false;
  const wanted = endpoint.channels ?? [];
  if (wanted.length === 0) return true;
  const sent = message.channels ?? [];
  return sent.some((channel) => wanted.includes(channel));
}

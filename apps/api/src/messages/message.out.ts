/** MessageOut as the svix SDK reads it, built the same way wherever a message is shown. */
export interface MessageOut {
  id: string;
  eventType: string;
  eventId: string | null;
  payload: unknown;
  channels: string[] | null;
  tags: string[] | null;
  deliverAt: Date | null;
  timestamp: Date;
  /** Hookrelay extension, present only when the message has one. */
  orderingKey?: string;
}

export interface StoredMessage {
  id: string;
  eventType: string;
  eventId: string | null;
  /** The exact JSON text; null when the caller did not load it. */
  payload: string | null;
  channels: string[];
  tags: string[];
  deliverAt: Date | null;
  createdAt: Date;
  orderingKey?: string | null;
}

export function toMessageOut(m: StoredMessage, withContent = true): MessageOut {
  return {
    id: m.id,
    eventType: m.eventType,
    eventId: m.eventId,
    payload: withContent && m.payload !== null ? (JSON.parse(m.payload) as unknown) : {},
    channels: m.channels.length > 0 ? m.channels : null,
    tags: m.tags.length > 0 ? m.tags : null,
    deliverAt: m.deliverAt,
    timestamp: m.createdAt,
    ...(m.orderingKey ? { orderingKey: m.orderingKey } : {}),
  };
}

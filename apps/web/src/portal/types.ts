/** The Svix-shaped objects the portal reads (the fields it uses). */
export interface Application {
  id: string;
  uid: string | null;
  name: string;
}

export interface Endpoint {
  id: string;
  uid: string | null;
  url: string;
  description: string;
  disabled: boolean;
  filterTypes: string[] | null;
  channels: string[] | null;
  /** Hookrelay extension: a JSONLogic rule on the payload (absent on attempted destinations). */
  payloadFilter?: Record<string, unknown> | null;
  createdAt: string;
  updatedAt: string;
  /** Hookrelay extension: ownership verification, on endpoints that need it. */
  verification?: 'pending' | 'verified' | 'failed' | 'expired';
}

export interface EventType {
  name: string;
  description: string;
  deprecated: boolean;
  archived: boolean;
  groupName: string | null;
}

export interface Message {
  id: string;
  eventType: string;
  eventId: string | null;
  payload: unknown;
  timestamp: string;
}

export interface Attempt {
  id: string;
  msgId: string;
  endpointId: string;
  url: string;
  response: string;
  responseStatusCode: number;
  responseDurationMs: number;
  statusText: string;
  triggerType: number;
  timestamp: string;
  msg?: Message;
}

export interface Destination extends Endpoint {
  statusText: string;
  nextAttempt: string | null;
}

export interface EndpointStats {
  success: number;
  pending: number;
  sending: number;
  fail: number;
  canceled: number;
}

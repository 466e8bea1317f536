/**
 * The messages of `hookrelay listen`'s WebSocket (`/api/v1/relay`), JSON text frames both ways. Bodies are
 * base64 so that every byte survives (signatures cover the exact bytes).
 */
export interface RelayReady {
  type: 'ready';
  /** The URL to register as the endpoint's URL: deliveries to it come down this socket. */
  url: string;
}

export interface RelayRequest {
  type: 'request';
  id: string;
  headers: Record<string, string>;
  body: string;
}

export interface RelayResponse {
  type: 'response';
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A relay token is chosen by the CLI, so its endpoint URL survives reconnects: 32+ url-safe characters. */
export const RELAY_TOKEN = /^[A-Za-z0-9_-]{32,128}$/;
export const RELAY_PATH = '/api/v1/relay';
export const RELAY_INBOUND_PATH = '/api/v1/relay/in';
/** The most of a local response kept (an attempt stores 4 KiB of it anyway). */
export const MAX_RELAYED_RESPONSE_BYTES = 64 * 1024;

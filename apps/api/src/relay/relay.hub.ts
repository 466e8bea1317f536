import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { RawData, WebSocket, WebSocketServer } from 'ws';
import { APP_CONFIG, type AppConfig } from '@app/config';
import { DomainError } from '@app/domain';
import { bearerToken, TenantKeys } from '../auth/tenant-keys.service';
import { RelayBus } from './relay.bus';
import {
  MAX_RELAYED_RESPONSE_BYTES,
  RELAY_INBOUND_PATH,
  RELAY_PATH,
  RELAY_TOKEN,
  RelayReady,
  RelayRequest,
  RelayResponse,
} from './relay.protocol';

interface Listener {
  tenantId: string;
  socket: WebSocket;
  pending: Map<string, (response: RelayResponse | undefined) => void>;
}

export interface RelayedResponse {
  status: number;
  contentType: string | undefined;
  body: Buffer;
}

const PING_MS = 25_000;

/**
 * The API's side of `hookrelay listen`. The CLI opens a WebSocket here with its API key and a token it chose;
 * the endpoint it registers points at `PUBLIC_URL/api/v1/relay/in/<token>`. The delivery engine posts there
 * like to any endpoint; this process holds the request open, passes it down the socket, and answers with
 * what the CLI's local server answered (or 503 when no CLI is connected, 504 when it did not answer in time).
 * The socket lives in one API process; RelayBus carries requests that reach another one (docs/cli.md).
 */
@Injectable()
export class RelayHub implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RelayHub.name);
  private readonly listeners = new Map<string, Listener>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 2 * 1024 * 1024 });
  private pinger?: NodeJS.Timeout;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly tenantKeys: TenantKeys,
    private readonly bus: RelayBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.upgrade(request, socket, head);
    });
    this.pinger = setInterval(() => {
      for (const client of this.wss.clients) {
        if ((client as WebSocket & { alive?: boolean }).alive === false) client.terminate();
        else {
          (client as WebSocket & { alive?: boolean }).alive = false;
          client.ping();
        }
      }
    }, PING_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.pinger);
    for (const client of this.wss.clients) client.close(1001, 'server shutting down');
    this.wss.close();
  }

  /**
   * Passes a delivery down to the CLI listening on `token` (on this process, or through the bus on another)
   * and waits for its local server's answer.
   */
  async forward(token: string, headers: Record<string, string>, body: Buffer): Promise<RelayedResponse> {
    const notConnected = new DomainError(
      503,
      'relay_not_connected',
      'No `hookrelay listen` is connected for this endpoint right now; the delivery will be retried.',
    );
    if (!RELAY_TOKEN.test(token)) throw notConnected;
    const request: RelayRequest = {
      type: 'request',
      id: randomUUID(),
      headers,
      body: body.toString('base64'),
    };
    // Answer before the worker's own deadline, so the attempt records why.
    const waitMs = Math.max(this.config.delivery.timeoutMs - 1000, 1000);
    const listener = this.listeners.get(token);
    const response = listener
      ? await this.ask(listener, request, waitMs)
      : await this.bus.request(token, request, waitMs);
    if (response === 'absent') throw notConnected;
    if (!response) {
      return {
        status: 504,
        contentType: 'text/plain',
        body: Buffer.from('The local server did not answer in time.'),
      };
    }
    const status =
      Number.isInteger(response.status) && response.status >= 100 && response.status <= 599
        ? response.status
        : 502;
    const bytes = Buffer.from(typeof response.body === 'string' ? response.body : '', 'base64');
    const contentType = response.headers?.['content-type'];
    return {
      status,
      contentType: typeof contentType === 'string' ? contentType : undefined,
      body: bytes.subarray(0, MAX_RELAYED_RESPONSE_BYTES),
    };
  }

  /** One request down one socket of this process; undefined when no answer came in time. */
  private ask(listener: Listener, request: RelayRequest, waitMs: number): Promise<RelayResponse | undefined> {
    if (listener.socket.readyState !== WebSocket.OPEN) return Promise.resolve(undefined);
    return new Promise<RelayResponse | undefined>((resolve) => {
      const timer = setTimeout(() => {
        listener.pending.delete(request.id);
        resolve(undefined);
      }, waitMs);
      listener.pending.set(request.id, (answer) => {
        clearTimeout(timer);
        listener.pending.delete(request.id);
        resolve(answer);
      });
      listener.socket.send(JSON.stringify(request));
    });
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== RELAY_PATH) return refuse(socket, 404, 'Not Found');
    const token = request.headers['x-relay-token'];
    if (typeof token !== 'string' || !RELAY_TOKEN.test(token)) {
      return refuse(socket, 400, 'Bad Request: x-relay-token must be 32 to 128 url-safe characters');
    }
    let tenantId: string;
    try {
      tenantId = await this.tenantKeys.resolve(bearerToken(request.headers.authorization) ?? '');
    } catch {
      return refuse(socket, 401, 'Unauthorized');
    }
    const existing = this.listeners.get(token);
    if (existing && existing.tenantId !== tenantId) return refuse(socket, 409, 'Conflict');
    this.wss.handleUpgrade(request, socket, head, (ws) => this.attach(token, tenantId, ws));
  }

  private attach(token: string, tenantId: string, socket: WebSocket): void {
    const previous = this.listeners.get(token);
    // A reconnect of the same CLI replaces its old socket (which may not have noticed it is dead yet).
    if (previous) previous.socket.terminate();
    const listener: Listener = { tenantId, socket, pending: new Map() };
    this.listeners.set(token, listener);
    (socket as WebSocket & { alive?: boolean }).alive = true;
    socket.on('pong', () => ((socket as WebSocket & { alive?: boolean }).alive = true));
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: RelayResponse;
      try {
        message = JSON.parse(rawText(data)) as RelayResponse;
      } catch {
        return;
      }
      if (message?.type === 'response' && typeof message.id === 'string')
        listener.pending.get(message.id)?.(message);
    });
    socket.on('close', () => {
      if (this.listeners.get(token) === listener) {
        this.listeners.delete(token);
        void this.bus.unserve(token);
      }
      for (const settle of listener.pending.values()) settle(undefined);
    });
    socket.on('error', (error) => this.logger.warn({ err: error }, 'relay socket error'));
    // Deliveries that reach another API process come here through the bus.
    void this.bus.serve(token, (request) =>
      this.ask(listener, request, Math.max(this.config.delivery.timeoutMs - 1500, 1000)),
    );
    const publicUrl = this.config.http.publicUrl.replace(/\/+$/, '');
    const ready: RelayReady = { type: 'ready', url: `${publicUrl}${RELAY_INBOUND_PATH}/${token}` };
    socket.send(JSON.stringify(ready));
  }
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A text frame's content, whatever form `ws` hands it over in. */
function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data as ArrayBuffer).toString('utf8');
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as it arrived: the raw bytes (what the signature covers) and the headers. */
export interface ReceivedRequest {
  at: number;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: { id: string; type: string; createdAt: string; data: { stream: Record<string, unknown> } };
}

/** Decides the answer to one request: a status code, optionally after a delay. */
export type Responder = (request: ReceivedRequest, index: number) => number | { status: number; delayMs?: number };

/**
 * A webhook receiver on loopback, written for the tests: records every request and
 * answers as `respond` says (200 by default). `stop()` and `start()` again on the
 * same port simulate an endpoint that is down for a while.
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = () => 200;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: ReceivedRequest['body'];
        try {
          body = JSON.parse(rawBody) as ReceivedRequest['body'];
        } catch {
          body = { id: '', type: '', createdAt: '', data: { stream: {} } };
        }
        const request = { at: Date.now(), headers: req.headers, rawBody, body };
        const index = this.requests.push(request) - 1;
        const answer = this.respond(request, index);
        const { status, delayMs = 0 } = typeof answer === 'number' ? { status: answer } : answer;
        // unref: an answer still waiting when the suite ends must not keep jest alive.
        setTimeout(() => res.writeHead(status, { 'Content-Type': 'text/plain' }).end('ok'), delayMs).unref();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests carrying events of this stream, in arrival order. */
  forStream(streamId: number): ReceivedRequest[] {
    return this.requests.filter((request) => request.body.data?.stream?.id === streamId);
  }
}

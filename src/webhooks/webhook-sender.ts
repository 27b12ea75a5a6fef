import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { guardedLookup, refusalOf } from './address-policy.js';

/** A 2xx within this long ends a delivery; anything else is an attempt that failed. */
export const ATTEMPT_TIMEOUT_MS = 5000;
/** Response bodies are read (so the connection can be reused) up to this much, never stored. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptResult {
  delivered: boolean;
  statusCode: number | null;
  /** Short and safe to show the endpoint's owner: no URL, no body, no secret. */
  error: string | null;
}

export interface SendOptions {
  /** Apply the address policy (false for WEBHOOK_ALLOW_PRIVATE_NETWORKS and the operator's own endpoint). */
  guarded: boolean;
  timeoutMs?: number;
}

/**
 * One delivery attempt: POST, redirects not followed (a 3xx is a failure), the whole
 * exchange bounded by the timeout. Keep-alive agents of its own, closed by `close()`.
 */
export class WebhookSender {
  private readonly agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  send(url: string, body: string, headers: Record<string, string>, options: SendOptions): Promise<AttemptResult> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve(failure(null, 'invalid URL'));
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // An IP literal is connected to without any lookup: check it here.
    const refusal = options.guarded && isIP(host) ? refusalOf(host) : null;
    if (refusal) return Promise.resolve(failure(null, `refused address (${refusal})`));
    const secure = target.protocol === 'https:';
    const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;

    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      let ended = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        resolve(result);
      };
      const request = (secure ? https : http).request(target, {
        method: 'POST',
        agent: secure ? this.agents.https : this.agents.http,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        ...(options.guarded ? { lookup: guardedLookup } : {}),
      });
      // One deadline for the answer; a body still streaming after it is cut off too.
      const timer = setTimeout(() => {
        finish(failure(null, `timed out after ${Math.round(timeoutMs / 1000)} s`));
        if (!ended) request.destroy();
      }, timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        finish(failure(null, describe(error)));
      });
      request.on('response', (response) => {
        // The status decides; the body is drained only so the connection can be reused.
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) finish({ delivered: true, statusCode: status, error: null });
        else finish(failure(status, status >= 300 && status < 400 ? `redirect not followed (HTTP ${status})` : `HTTP ${status}`));
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) request.destroy();
        });
        response.on('error', () => undefined);
        response.on('end', () => {
          ended = true;
          clearTimeout(timer);
        });
        response.on('close', () => clearTimeout(timer));
      });
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function failure(statusCode: number | null, error: string): AttemptResult {
  return { delivered: false, statusCode, error };
}

/** Network errors as a few words (the code names the problem; messages may carry addresses). */
function describe(error: NodeJS.ErrnoException): string {
  if (error.name === 'RefusedAddressError') return error.message;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    EPROTO: 'TLS handshake failed',
  };
  if (error.code && known[error.code]) return known[error.code];
  if (error.code?.startsWith('ERR_TLS') || error.code?.includes('CERT')) return `TLS error (${error.code})`;
  return error.code ? `request failed (${error.code})` : 'request failed';
}

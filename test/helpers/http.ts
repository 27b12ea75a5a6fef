import { connect } from 'node:net';
/** One HTTP request with its wall-clock duration; never throws on HTTP errors. */
export async function timedFetch(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; text: string; headers: Headers; ms: number }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) });
  const text = await response.text();
  const ms = performance.now() - started;
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, body, text, headers: response.headers, ms };
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns how long it took. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, intervalMs = 100, message?: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(message ?? `condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Whether something accepts TCP connections on this loopback port right now. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

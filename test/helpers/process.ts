import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../src/database/embedded-postgres.js';

export interface RunningApi {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the built server (`dist/`, made by `pretest`) as operators do: `node dist/src/main.js`. */
export async function spawnApi(env: Record<string, string>): Promise<RunningApi> {
  const port = env.PORT ?? String(await freePort());
  let output = '';
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', BCRYPT_COST: '4', HOST: '127.0.0.1', ...env, PORT: port },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Polls until `url` answers 200, or throws with the process output. */
export async function waitForOk(api: RunningApi, path: string, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (api.child.exitCode !== null) throw new Error(`API exited early (${api.child.exitCode}):\n${api.output()}`);
    const ok = await fetch(api.url + path).then((r) => r.ok, () => false);
    if (ok) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`API not ready after ${timeoutMs} ms:\n${api.output()}`);
}

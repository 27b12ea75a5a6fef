import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/database/embedded-postgres.js';

export const MAIN_JS = 'dist/src/main.js';

/** The API as operators run it: `node dist/src/main.js` in a process of its own. */
export interface ApiProcess {
  child: ChildProcess;
  port: number;
  url: string;
  /** Every stdout/stderr line so far (JSON log lines from pino). */
  output: string[];
  /** Parsed JSON log lines (non-JSON lines left out). */
  logs(): Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export interface StartOptions {
  env: Record<string, string>;
  /** The project directory to run in (default: this one). */
  cwd?: string;
  /** Resolve once the API logs that it is listening (default), or right after spawning. */
  waitUntilListening?: boolean;
  timeoutMs?: number;
}

export async function startApiProcess(options: StartOptions): Promise<ApiProcess> {
  if (!existsSync(join(options.cwd ?? '.', MAIN_JS)))
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (npm test does it in pretest)`);
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      BCRYPT_COST: '4',
      JWT_SECRET: randomBytes(32).toString('hex'),
      INGEST_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const waiters: Array<() => void> = [];
  const collect = (chunk: Buffer, carry: { rest: string }) => {
    const text = carry.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    carry.rest = lines.pop() ?? '';
    output.push(...lines.filter(Boolean));
    for (const waiter of [...waiters]) waiter();
  };
  const stdoutCarry = { rest: '' };
  const stderrCarry = { rest: '' };
  child.stdout.on('data', (chunk: Buffer) => collect(chunk, stdoutCarry));
  child.stderr.on('data', (chunk: Buffer) => collect(chunk, stderrCarry));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (stdoutCarry.rest) output.push(stdoutCarry.rest);
      if (stderrCarry.rest) output.push(stderrCarry.rest);
      for (const waiter of [...waiters]) waiter();
      resolve({ code, signal });
    }),
  );

  const logs = () =>
    output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });

  const api: ApiProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    output,
    logs,
    exited,
    waitForLog: (predicate, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = logs().find(predicate);
          if (found) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(
              new Error(
                `API exited (${child.exitCode ?? child.signalCode}) before the expected log line:\n${output.slice(-20).join('\n')}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`Timed out after ${timeoutMs} ms waiting for a log line:\n${output.slice(-20).join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          const index = waiters.indexOf(check);
          if (index !== -1) waiters.splice(index, 1);
        };
        waiters.push(check);
        check();
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  if (options.waitUntilListening !== false) {
    await api.waitForLog(
      (line) => typeof line.msg === 'string' && line.msg.startsWith('Streamly API listening'),
      options.timeoutMs ?? 60_000,
    );
  }
  return api;
}

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (this file runs from dist/bench/lib/). */
export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

const children = new Set<ChildProcess>();

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Server {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  /** SIGTERM (the whole process group), SIGKILL after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns a child in a process group of its own (so `npm start`'s node child is stopped
 * with it), stdout and stderr appended to `logFile`. Every child is stopped when this process exits or is
 * interrupted (installCleanup).
 */
export function spawnChild(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  options: SpawnOptions = {},
): ChildProcess {
  // The child writes its log itself (no pipe through this process, whose CPU would then carry it).
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd], detached: true, ...options });
  closeSync(fd);
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  return child;
}

/** Stops a child we started: SIGTERM to its process group, SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const gone = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  signalGroup(child, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  const code = await gone;
  clearTimeout(timer);
  return code;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Starts `node <args>` as an HTTP server on `port` and waits until `readyPath` answers 2xx. */
export async function startServer(
  name: string,
  nodeArgs: string[],
  env: NodeJS.ProcessEnv,
  port: number,
  logFile: string,
  readyPath = '/',
  anyStatus = false,
): Promise<Server> {
  const child = spawnChild(process.execPath, nodeArgs, env, logFile);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${readyPath}`, { child, timeoutMs: 60_000, intervalMs: 50, anyStatus });
  return { name, url, pid: child.pid!, child, stop: () => stopChild(child) };
}

/** Polls `url` until it answers 2xx (any status with `anyStatus`); fails early when `child` exits. Returns the ms waited. */
export async function waitForHttp(
  url: string,
  options: { child?: ChildProcess; timeoutMs?: number; intervalMs?: number; anyStatus?: boolean } = {},
): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (options.child && (options.child.exitCode !== null || options.child.signalCode !== null))
      throw new Error(`${url}: the process exited (${options.child.exitCode ?? options.child.signalCode}) before answering`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok || options.anyStatus) return performance.now() - started;
    } catch {
      // not up yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer 2xx within ${options.timeoutMs ?? 30_000} ms`);
    await sleep(options.intervalMs ?? 100);
  }
}

/** User + system CPU seconds of one process so far (/proc/<pid>/stat utime + stime). */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident set size in MB (/proc/<pid>/status VmRSS). */
export async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** Stops every child still running, on normal exit, an error or Ctrl-C. */
export function installCleanup(extra: () => Promise<void>): void {
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all([...children].map((child) => stopChild(child, 3000)));
      await extra().catch(() => undefined);
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping children and dropping scratch databases\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => {
    for (const child of children) signalGroup(child, 'SIGKILL');
  });
  cleanupHook = cleanup;
}

let cleanupHook: () => Promise<void> = () => Promise.resolve();
export const cleanupAll = () => cleanupHook();

import { spawn, type ChildProcess } from 'node:child_process';

/** A failure of the embedded server, worded as one line for the operator. */
export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(oneLine(message));
    this.name = 'EmbeddedPostgresError';
  }
}

export interface LaunchOptions {
  /** Drop to this user (root only: PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** Open descriptors handed to the child as fd 3, 4, … */
  fds?: number[];
  /** Names the child sees that mean nothing to a reader (/proc/self/fd/3), mapped to real paths for messages. */
  aliases?: Record<string, string>;
  log: (line: string) => void;
  onLine?: (line: string) => void;
  /** When Node exits first: 'stop' the server cleanly (default), or 'kill' the program and its children. */
  onNodeExit?: 'stop' | 'kill';
}

export interface Launched {
  child: ChildProcess;
  /** The last lines the program printed, aliases replaced. */
  recent(): string[];
  /** Settles once: the exit, or the spawn error (EACCES, ENOENT) that Node reports instead. */
  ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: NodeJS.ErrnoException }>;
  running(): boolean;
  /** Fast shutdown (SIGINT); immediate (SIGQUIT) if it has not exited after 30 s. */
  stop(): Promise<void>;
}

/**
 * Runs one PostgreSQL program with every failure captured: Node reports a spawn
 * failure as an 'error' event, which crashes the process when nobody listens.
 */
export function launch(binary: string, args: string[], options: LaunchOptions): Launched {
  const child = spawn(binary, args, {
    uid: options.uid,
    gid: options.gid,
    // Somewhere every user can enter: PostgreSQL 15 chdirs back to its start directory while locating itself.
    cwd: '/',
    // Its own process group: Ctrl-C in a terminal reaches only Node, which drains, then stops PostgreSQL.
    detached: true,
    env: serverEnvironment(),
    stdio: ['ignore', 'pipe', 'pipe', ...(options.fds ?? [])],
  });
  const lines: string[] = [];
  const take = (line: string) => {
    for (const [alias, real] of Object.entries(options.aliases ?? {})) line = line.split(alias).join(real);
    if (!line.trim()) return;
    lines.push(line.trim());
    lines.splice(0, Math.max(0, lines.length - 20));
    options.log(line.trim());
    options.onLine?.(line);
  };
  // Whole lines only: a chunk may end mid-line.
  for (const stream of [child.stdout, child.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      parts.forEach(take);
    });
    stream?.on('end', () => take(rest));
  }
  // Its own process group does not see the signal that ends Node: stop it when Node exits.
  const killOnExit = () => {
    if (options.onNodeExit !== 'kill') child.kill('SIGINT');
    else if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGKILL'); // initdb and the postgres it runs
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', killOnExit);
  let exited = false;
  const ended = new Promise<Awaited<Launched['ended']>>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a failed kill(): it is still running
      exited = true; // a failed spawn
      process.removeListener('exit', killOnExit);
      resolve({ code: null, signal: null, error });
    });
    child.on('close', (code, signal) => {
      exited = true;
      process.removeListener('exit', killOnExit);
      resolve({ code, signal });
    });
  });
  const running = () => !exited && child.exitCode === null && child.signalCode === null;
  return {
    child,
    recent: () => [...lines],
    ended,
    running,
    stop: async () => {
      if (!running()) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
      await ended;
      clearTimeout(timer);
    },
  };
}

/** Runs a program to completion; anything but exit 0 becomes one line naming the program and why. */
export async function runToCompletion(binary: string, args: string[], options: LaunchOptions): Promise<void> {
  const program = launch(binary, args, options);
  const { code, signal, error } = await program.ended;
  if (error) throw new EmbeddedPostgresError(spawnFailure(binary, error, options.uid));
  if (code !== 0)
    throw new EmbeddedPostgresError(`${binary} failed (${code === null ? signal : `exit ${code}`}): ${lastWords(program.recent())}`);
}

export function spawnFailure(binary: string, error: NodeJS.ErrnoException, uid?: number): string {
  const as = uid === undefined ? '' : ` as uid ${uid}`;
  return `could not run ${binary}${as}: ${error.code ?? error.message}`;
}

/** PostgreSQL's error lines, or its last lines when it printed no error. */
export function lastWords(lines: string[]): string {
  // Without the log line prefix ("2026-01-01 10:00:00.000 UTC [123] "): the reader wants the words.
  const bare = lines.map((line) => line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] /, '').replace(/\s+/g, ' '));
  const errors = bare.filter((line) => /\b(FATAL|ERROR|PANIC|HINT|DETAIL|error|hint):/.test(line));
  return (errors.length ? errors : bare.slice(-3)).join(' | ').replace(/\.$/, '') || 'no output';
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').trim();
}

/**
 * Only what PostgreSQL needs: the API's secrets in the environment would be readable
 * by its user in /proc. Messages in English: readiness is detected by its log line.
 */
function serverEnvironment(): NodeJS.ProcessEnv {
  const keep = Object.entries(process.env).filter(
    ([name]) => name === 'PATH' || name === 'TZ' || name === 'LANG' || name.startsWith('LC_'),
  );
  return { ...Object.fromEntries(keep), LC_MESSAGES: 'C' };
}

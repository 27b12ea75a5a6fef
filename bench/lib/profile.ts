import { readFile } from 'node:fs/promises';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  /** µs on the monotonic clock (process.hrtime's). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: node_modules/<package>, src/<folder>, node internals, or V8's own entries. */
function place(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + '/node_modules/'.length).split('/');
    return `node_modules/${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const src = /\/dist\/(src|bench)\/([^/]+)/.exec(url);
  if (src) return `${src[1]}/${src[2].endsWith('.js') ? src[2].replace(/\.js$/, '.ts') : src[2]}`;
  return url;
}

function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 1);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url;
}

/**
 * Self time by frame (functionName + url:line) and by place, from a V8 .cpuprofile: each
 * sample's time delta goes to the node it landed in. Percentages are of the busy time
 * (everything but `(idle)`). `window`: only samples within it (µs, process.hrtime's clock),
 * e.g. the load phase without the start-up.
 */
export async function summarizeProfile(file: string, top = 25, window?: [number, number]): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const frames = new Map<string, number>();
  const places = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (!node || (window && (at < window[0] || at > window[1]))) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idle += dt;
      return;
    }
    busy += dt;
    const key = `${functionName || '(anonymous)'}  ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trimEnd();
    frames.set(key, (frames.get(key) ?? 0) + dt);
    const where = place(url, functionName);
    places.set(where, (places.get(where) ?? 0) + dt);
  });
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return [
    `${window ? 'during the measured load: ' : ''}busy ${(busy / 1e6).toFixed(1)} s of CPU samples, idle ${(idle / 1e6).toFixed(1)} s (percentages are of busy time)`,
    '',
    `Top ${top} frames by self time:`,
    ...sorted(frames)
      .slice(0, top)
      .map(([key, t]) => `  ${pct(t)}  ${key}`),
    '',
    'Self time by place (top 20):',
    ...sorted(places)
      .slice(0, 20)
      .map(([key, t]) => `  ${pct(t)}  ${key}`),
  ].join('\n');
}

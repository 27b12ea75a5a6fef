import { execFile } from 'node:child_process';
import type { TestApp } from './app.js';

/** One sample's value from Prometheus text, by name and exact label text (`a="1",b="2"`, or '' for none). */
export function sample(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

/** The label values a metric has in Prometheus text, for one label. */
export function labelValues(text: string, name: string, label: string): string[] {
  const pattern = new RegExp(`^${name}\\{(?:[^}]*,)?${label}="([^"]*)"`);
  return [...new Set(text.split('\n').flatMap((line) => pattern.exec(line)?.[1] ?? []))];
}

/** What nginx-rtmp 1.2.2 posts to a hook (seen on the wire), the secret in the hook URL. */
export function nginxHook(t: TestApp, call: 'on_publish' | 'on_publish_done', key: string, clientId: number) {
  const form =
    `app=live&flashver=FMLE%2F3.0&swfurl=&tcurl=rtmp%3A%2F%2F127.0.0.1%3A1935%2Flive&pageurl=&addr=203.0.113.7` +
    `&clientid=${clientId}&call=${call === 'on_publish' ? 'publish' : 'publish_done'}&name=${encodeURIComponent(key)}&type=live`;
  return t
    .http()
    .post(`/api/v1/ingest/nginx/${call}?secret=${encodeURIComponent(t.config.ingestSecret)}`)
    .type('form')
    .send(form);
}

/** Runs a tool with text on stdin; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runTool(command: string, args: string[], input = ''): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(command, args, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    child.stdin?.end(input);
  });
}

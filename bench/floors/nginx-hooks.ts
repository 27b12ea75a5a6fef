import { nginxHooks } from './nginx-decisions.js';
import { floorPool, readBody, secretChecker, send, serve } from './pool.js';

/**
 * The floor of nginx-rtmp's on_publish and on_update: bare node:http and pg running the
 * app's statements in the app's transactions (nginx-decisions.ts), with the same secret check
 * (`?secret=` or a Bearer header) and nothing else per request.
 */
const PREFIX = '/api/v1/ingest/nginx/';
const pool = floorPool();
const secretOk = secretChecker();
const answer = nginxHooks(pool);

serve(async (req, res) => {
  const [path, query = ''] = (req.url ?? '').split('?', 2);
  const secrets = new URLSearchParams(query).getAll('secret');
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  const given = scheme.toLowerCase() === 'bearer' ? (token ?? '') : secrets.length === 1 ? secrets[0] : undefined;
  if (!secretOk(given)) return send(res, 401, { statusCode: 401 });
  const call = path.startsWith(PREFIX) ? path.slice(PREFIX.length) : '';
  if (req.method !== 'POST' || (call !== 'on_publish' && call !== 'on_update')) return send(res, 404, { statusCode: 404 });
  const { status, body } = await answer(call, new URLSearchParams(await readBody(req)), req.socket.remoteAddress ?? '');
  return send(res, status, body);
}, pool);

import Fastify from 'fastify';

/** The floor of GET /health/live: bare Fastify answering the app's JSON body, nothing else. */
const app = Fastify();
app.get('/health/live', () => ({ status: 'ok', info: {}, error: {}, details: {} }));
await app.listen({ port: Number(process.env.PORT ?? 3001), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

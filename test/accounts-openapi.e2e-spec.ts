import { FASTIFY_ROUTES } from '../src/app.setup.js';
import { createApiDocument } from '../src/docs/api-docs.js';
import { startTestApp, type TestApp } from './helpers/app.js';

/** The account routes document every status code of API.md, and their shapes. */
describe('accounts: OpenAPI description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(() => t.close());

  it('lists each route with the status codes of the contract', () => {
    const document = createApiDocument(t.app, FASTIFY_ROUTES);
    const codes = (path: string, method: string) => Object.keys(document.paths[path]?.[method as 'get']?.responses ?? {}).sort();
    // 503: the bcrypt queue is full (BCRYPT_MAX_QUEUE).
    expect(codes('/api/v1/users', 'post')).toEqual(['201', '400', '409', '429', '503']);
    expect(codes('/api/v1/auth/login', 'post')).toEqual(['200', '400', '401', '429', '503']);
    expect(codes('/api/v1/auth/refresh', 'post')).toEqual(['200', '400', '401']);
    expect(codes('/api/v1/auth/logout', 'post')).toEqual(['204', '400', '401']);
    expect(codes('/api/v1/users/me', 'get')).toEqual(['200', '401']);
    expect(codes('/api/v1/users/me', 'patch')).toEqual(['200', '400', '401', '409']);
    expect(codes('/api/v1/users/me/password', 'put')).toEqual(['204', '400', '401', '429', '503']);
    expect(codes('/api/v1/users/me', 'delete')).toEqual(['204', '401']);
    expect(codes('/api/v1/users/{username}', 'get')).toEqual(['200', '404']);
    expect(document.paths['/api/v1/users/me'].get?.security).toEqual([{ bearer: [] }]);

    const schemas = document.components?.schemas as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys(schemas.UserResponse.properties).sort()).toEqual(['createdAt', 'email', 'firstName', 'id', 'lastName', 'username']);
    expect(Object.keys(schemas.PublicUserResponse.properties).sort()).toEqual(['createdAt', 'firstName', 'id', 'lastName', 'username']);
    expect(Object.keys(schemas.SessionResponse.properties).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
      'user',
    ]);
    expect(Object.keys(schemas.CreateUserDto.properties).sort()).toEqual(['email', 'firstName', 'lastName', 'password', 'username']);
  });

  it('describes ids as integers (SERIAL), in bodies and in paths', () => {
    const document = createApiDocument(t.app, FASTIFY_ROUTES);
    const schemas = document.components?.schemas as Record<string, { properties: Record<string, { type?: string }> }>;
    expect(schemas.UserResponse.properties.id.type).toBe('integer');
    expect(schemas.StreamDto.properties.id.type).toBe('integer');
    expect(schemas.StreamDto.properties.userId.type).toBe('integer');
    expect(schemas.KeyLookupDto.properties.streamId.type).toBe('integer');
    const parameter = document.paths['/api/v1/streams/{id}'].get?.parameters?.find((p) => 'name' in p && p.name === 'id') as {
      schema?: { type?: string };
    };
    expect(parameter.schema?.type).toBe('integer');
  });
});

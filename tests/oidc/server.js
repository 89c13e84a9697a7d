// A real OAuth 2.0 / OpenID Connect server (oidc-provider) for the login
// tests, on a free loopback port. Prints one JSON line {"issuer": ...} when
// ready. Also serves a plgd-shaped /.well-known/hub-configuration whose
// authority is this server, broken discovery documents under /broken-json and
// /no-token-endpoint, GET /test/refresh-tokens (every refresh token issued,
// for leak checks), POST /test/revoke-refresh-tokens (forgets every
// refresh token, as an administrator revoking them would) and
// GET /test/token-requests (how many requests reached the token endpoint,
// by grant type, answered or refused) and POST /test/hub-configuration (a
// hub document to serve from then on instead of the built-in one, e.g. a
// simulated cloud's own with another device grant).
//
// Environment: ACCESS_TTL (seconds, default 3600), DEVICE_CODE_TTL (600),
// HUB_DEVICE_GRANT (authorizationCode | clientCredentials),
// DEVICE_REDIRECT_URI (the hub device client's redirect URI).
'use strict';

const http = require('node:http');
const crypto = require('node:crypto');

// stdout carries only the ready line (the test stops reading it after that):
// oidc-provider's notices go to stderr.
console.log = console.info = console.warn = (...args) => console.error(...args);
process.stdout.on('error', () => {});

const AUDIENCE = 'https://cloud.test/';
const HUB_ID = '5f9e3b0c-8e1f-4a7e-9c51-2a4f0e6b7d10';
const accessTtl = Number(process.env.ACCESS_TTL || 3600);
const deviceCodeTtl = Number(process.env.DEVICE_CODE_TTL || 600);
const deviceGrant = process.env.HUB_DEVICE_GRANT || 'authorizationCode';
const deviceRedirect = process.env.DEVICE_REDIRECT_URI || 'http://127.0.0.1:1/devices';

// An in-memory adapter the test endpoint can empty.
const stores = new Map();
// Every refresh token ever issued, so tests can check none leaks.
const issuedRefreshTokens = [];
// Requests that reached the token endpoint, by grant type.
const tokenRequests = {};
class TestAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, { items: new Map(), expiry: new Map(), uid: new Map(), userCode: new Map() });
    this.s = stores.get(name);
  }
  async upsert(id, payload, expiresIn) {
    if (payload.kind === 'RefreshToken' && !issuedRefreshTokens.includes(id)) issuedRefreshTokens.push(id);
    this.s.items.set(id, payload);
    this.s.expiry.set(id, expiresIn ? Date.now() + expiresIn * 1000 : Infinity);
    if (payload.uid) this.s.uid.set(payload.uid, id);
    if (payload.userCode) this.s.userCode.set(payload.userCode, id);
  }
  async find(id) {
    if (id === undefined || !this.s.items.has(id)) return undefined;
    if (this.s.expiry.get(id) < Date.now()) { this.s.items.delete(id); return undefined; }
    return this.s.items.get(id);
  }
  async findByUid(uid) { return this.find(this.s.uid.get(uid)); }
  async findByUserCode(userCode) { return this.find(this.s.userCode.get(userCode)); }
  async consume(id) { const p = this.s.items.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.s.items.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.s.items) if (p.grantId === grantId) this.s.items.delete(id);
  }
}

async function main() {
  const { default: Provider, errors } = await import('oidc-provider');
  const server = http.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig', kid: 'test' };

  const provider = new Provider(issuer, {
    adapter: TestAdapter,
    jwks: { keys: [jwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    cookies: { keys: ['ocf-mediator-test-cookie-key'] },
    clients: [
      {
        // People: device code and browser (PKCE), public, native.
        client_id: 'mediator',
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      },
      {
        // Factory lines: client credentials.
        client_id: 'factory',
        client_secret: 'factory-secret-value-0123456789',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
      },
      {
        // The hub's device client (the coap-gateway holds its secret).
        client_id: 'device',
        client_secret: 'device-secret-value-0123456789',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [deviceRedirect],
      },
    ],
    features: {
      devInteractions: { enabled: true },
      deviceFlow: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource) => {
          if (resource !== AUDIENCE) throw new errors.InvalidTarget();
          return {
            scope: 'openid offline_access cloud',
            audience: AUDIENCE,
            accessTokenTTL: accessTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    pkce: { required: (ctx, client) => client.clientId !== 'device' },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: {
      AccessToken: accessTtl,
      ClientCredentials: accessTtl,
      DeviceCode: deviceCodeTtl,
      AuthorizationCode: 600,
      RefreshToken: 86400,
      Grant: 86400,
      Interaction: 600,
      Session: 86400,
      IdToken: 3600,
    },
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  });
  provider.proxy = false;

  // A hub document posted by a test, served instead of the built-in one.
  let hubDocument = null;

  provider.use(async (ctx, next) => {
    if (ctx.path === '/test/hub-configuration' && ctx.method === 'POST') {
      const chunks = [];
      for await (const chunk of ctx.req) chunks.push(chunk);
      hubDocument = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      ctx.body = { stored: true };
      return;
    }
    if (ctx.path === '/.well-known/hub-configuration' && hubDocument) {
      ctx.body = hubDocument;
      return;
    }
    if (ctx.path === '/.well-known/hub-configuration') {
      ctx.body = {
        id: HUB_ID,
        coapGateway: 'coaps+tcp://127.0.0.1:5684',
        certificateAuthorities: '-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n',
        authority: issuer,
        jwtOwnerClaim: 'sub',
        jwtDeviceIdClaim: 'https://plgd.dev/deviceId',
        currentTime: String(Date.now() * 1000000),
        deviceOauthClient: {
          clientId: 'device',
          audience: AUDIENCE,
          // oidc-provider's dev interactions deny a code request without openid.
          scopes: ['openid', 'offline_access'],
          providerName: 'plgd',
          clientAssertionType: '',
          authority: issuer,
          grantType: deviceGrant,
        },
        webOauthClient: { clientId: 'mediator', audience: AUDIENCE, scopes: ['openid', 'offline_access'] },
        m2mOauthClient: { clientId: 'factory', audience: AUDIENCE, scopes: [] },
      };
      return;
    }
    if (ctx.path === '/broken-json/.well-known/openid-configuration') {
      ctx.type = 'application/json';
      ctx.body = '{"issuer": "' + issuer + '/broken-json", "token_endpoint": ';
      return;
    }
    if (ctx.path === '/no-token-endpoint/.well-known/openid-configuration') {
      ctx.body = { issuer: `${issuer}/no-token-endpoint`, authorization_endpoint: `${issuer}/auth` };
      return;
    }
    if (ctx.path === '/test/refresh-tokens') {
      ctx.body = { issued: issuedRefreshTokens };
      return;
    }
    if (ctx.path === '/test/token-requests') {
      ctx.body = tokenRequests;
      return;
    }
    if (ctx.path === '/token' && ctx.method === 'POST') {
      try {
        await next();
      } finally {
        const grant = (ctx.oidc && ctx.oidc.params && ctx.oidc.params.grant_type) || 'unknown';
        tokenRequests[grant] = (tokenRequests[grant] || 0) + 1;
      }
      return;
    }
    if (ctx.path === '/test/revoke-refresh-tokens' && ctx.method === 'POST') {
      const store = stores.get('RefreshToken');
      const count = store ? store.items.size : 0;
      if (store) store.items.clear();
      ctx.body = { revoked: count };
      return;
    }
    await next();
  });

  server.on('request', provider.callback());
  process.stdout.write(JSON.stringify({ issuer, audience: AUDIENCE, hub_id: HUB_ID }) + '\n');
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((e) => { console.error(e); process.exit(1); });

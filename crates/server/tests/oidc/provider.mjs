// A real OpenID Provider for the sign-in tests: the npm package `oidc-provider` (certified),
// installed into `.tools/` by `cargo xtask setup`, started by the tests on loopback.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port": 0, "audience": "api://peering-console", "keys": "keys.json",
//          "rotate": false, "accessTokenTTL": 300, "clientId": "peering-console",
//          "redirectUris": ["http://127.0.0.1:8080/"], "postLogoutRedirectUris": [...],
//          "accounts": {"alice": {"roles": ["Peering.Contributor"], "groups": [], "email": "…"}}}
//
// The signing keys live in the `keys` file, made on first start (RSA first, which signs the
// access tokens with RS256, and a P-256 key); with "rotate" a new RSA key is made and put
// first, so the provider signs with it and still publishes the old ones. The file also holds each key's PKCS#8 PEM, so a test can sign the tokens a provider
// would never issue (expired, for another audience) with a key the server trusts.
//
// Access tokens are JWTs for the audience, carrying the account's `roles` and `groups` and
// its `preferred_username`/`email`. Login is the provider's own development login page (any
// password); consent is given at once, as an organisation's administrator would give it for
// its own console. Prints "ready <issuer>" when it listens.

import { generateKeyPairSync, randomUUID, createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// The package is in the project's `.tools/node_modules`, not beside this file: the caller
// names it (`"module"`: the package's folder).
const { default: Provider } = await import(pathToFileURL(join(config.module, 'lib/index.js')).href);
const audience = config.audience;
const accounts = config.accounts ?? {};

// No `alg` on the keys: an RSA key then allows RS256 and PS256, a P-256 key ES256.
function newKey(type) {
  const { privateKey } = type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return {
    jwk: { ...jwk, kid: randomUUID(), use: 'sig' },
    pem: privateKey.export({ format: 'pem', type: 'pkcs8' }),
  };
}

let keys = existsSync(config.keys) ? JSON.parse(readFileSync(config.keys, 'utf8')) : [];
if (keys.length === 0) {
  keys = [newKey('rsa'), newKey('ec')];
  writeFileSync(config.keys, JSON.stringify(keys, null, 1));
} else if (config.rotate) {
  keys = [newKey('rsa'), ...keys];
  writeFileSync(config.keys, JSON.stringify(keys, null, 1));
}
// A check that the PEM and the JWK are the same key (a test signs with the PEM).
createPrivateKey(keys[0].pem);

const issuer = `http://127.0.0.1:${config.port}`;
// Public clients (no secret): the console, and any others named in "clients" (a portal that
// signs in itself): {"clientId", "redirectUris"}.
const publicClient = (id, redirects, postLogout) => ({
  client_id: id,
  token_endpoint_auth_method: 'none',
  application_type: 'web',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: redirects,
  post_logout_redirect_uris: postLogout ?? [],
});
const provider = new Provider(issuer, {
  clients: [
    publicClient(config.clientId ?? 'peering-console', config.redirectUris, config.postLogoutRedirectUris),
    ...(config.clients ?? []).map((c) => publicClient(c.clientId, c.redirectUris)),
  ],
  jwks: { keys: keys.map((k) => k.jwk) },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== audience) {
          throw new Error(`unknown resource ${indicator}`);
        }
        return {
          scope: 'peering',
          audience,
          accessTokenTTL: config.accessTokenTTL ?? 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  ttl: {
    AccessToken: config.accessTokenTTL ?? 300,
    IdToken: 3600,
    RefreshToken: 24 * 3600,
    Session: 24 * 3600,
    Interaction: 3600,
    Grant: 24 * 3600,
  },
  clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((u) => new URL(u).origin === origin),
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({
      sub: id,
      name: id,
      preferred_username: accounts[id]?.preferred_username ?? `${id}@example.com`,
      email: accounts[id]?.email ?? `${id}@example.com`,
    }),
  }),
  extraTokenClaims: (ctx, token) => {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const a = accounts[token.accountId] ?? {};
    return {
      roles: a.roles ?? [],
      groups: a.groups ?? [],
      preferred_username: a.preferred_username ?? `${token.accountId}@example.com`,
      email: a.email ?? `${token.accountId}@example.com`,
    };
  },
  // Consent given at once for everything asked (first-party console).
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const found = await ctx.oidc.provider.Grant.find(grantId);
      if (found) return found;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email offline_access');
    grant.addResourceScope(audience, 'peering');
    await grant.save();
    return grant;
  },
  // A browser app gets a refresh token (rotated at every use) whether or not it asked for
  // offline_access, as Entra ID gives single-page apps one: the console renews its access
  // token with it, without a reload.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  pkce: { required: () => true },
  cookies: { keys: ['peering-console-test-provider'] },
  renderError: (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>Error</title><h1>${out.error}</h1><p>${out.error_description ?? ''}</p>`;
  },
});
provider.proxy = false;

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

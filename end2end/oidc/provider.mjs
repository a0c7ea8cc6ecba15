// A real OpenID Connect provider for the browser tests (npm oidc-provider, its development
// login screens): `node oidc/provider.mjs PORT KEY_ID REDIRECT_URI`. Its signing key is made at
// start under KEY_ID, so starting it again with another id is a key rotation.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const [port, kid, redirectUri] = process.argv.slice(2);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };

/** The accounts: any login name signs in; `ivy` is in the crm team. */
const accounts = {
  ivy: { name: 'Ivy Provider', email: 'ivy@example.com', groups: ['team-crm', 'analysts'] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'atrium',
      client_secret: 'atrium-test-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  // The claims in the ID token itself, not only at the userinfo endpoint.
  conformIdTokenClaims: false,
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'], groups: ['groups'] },
  async findAccount(_ctx, id) {
    const account = accounts[id] ?? { name: id, email: `${id}@example.com`, groups: [] };
    return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...account }) };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc provider on ${port} signing with ${kid}`));

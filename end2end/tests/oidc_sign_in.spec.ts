import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { gotoHydrated } from './hydrated';

test.use({ storageState: { cookies: [], origins: [] } });

const providerPort = Number(process.env.E2E_OIDC_PORT ?? 3920);

/** Starts the real OpenID Connect provider (npm oidc-provider), signing with a new key `kid`. */
async function startProvider(kid: string, baseURL: string): Promise<ChildProcess> {
  const script = path.resolve(__dirname, '../oidc/provider.mjs');
  const child = spawn('node', [script, String(providerPort), kid, `${baseURL}/auth/oidc/callback`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('oidc provider on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the provider stopped (${code})`)));
  });
  return child;
}

async function stopProvider(child: ChildProcess) {
  const stopped = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await stopped;
}

/** Signs in as `login` through the provider's own screens, from a page that needs sign-in. */
async function signInThroughProvider(page: Page, login: string) {
  await page.goto('/products/crm.customers');
  await expect(page).toHaveURL(/\/login\?next=/);
  await page.getByRole('link', { name: 'Sign in with the test provider' }).click();
  await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${providerPort}/`));
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any password');
  await page.locator('button[type="submit"]').click();
  // The provider asks once per client to share the claims.
  await page.locator('button[type="submit"]').click();
  await expect(page).toHaveURL(/\/products\/crm\.customers$/);
}

test('a user signs in through the OpenID Connect provider, also after it rotates its keys', async ({ page, baseURL }) => {
  let provider = await startProvider('key-one', baseURL!);
  try {
    await signInThroughProvider(page, 'ivy');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Ivy Provider');
    const me = await (await page.request.get('/api/v1/me')).json();
    expect(me.user).toBe('ivy');
    expect(me.email).toBe('ivy@example.com');
    expect(me.teams).toEqual(['analysts', 'team-crm']);
    // Being in team-crm, ivy owns crm.customers: its page shows the sample rows.
    await expect(page.locator('#sample table.sample')).toBeVisible();

    await gotoHydrated(page, '/');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);

    // The provider comes back signing with another key; the next sign-in still works.
    await stopProvider(provider);
    provider = await startProvider('key-two', baseURL!);
    await signInThroughProvider(page, 'ivy');
    await expect(page.getByTestId('signed-in-user')).toHaveText('Ivy Provider');
  } finally {
    await stopProvider(provider);
  }
});

import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';

test.use({ storageState: { cookies: [], origins: [] } });

test('a visitor signs in with a local account and comes back to the page they asked for', async ({ page }) => {
  await page.goto('/products/sales.orders');
  await expect(page).toHaveURL(/\/login\?next=%2Fproducts%2Fsales\.orders$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  // A demo data dir says where the demo logins are.
  await expect(page.locator('.demo-hint')).toContainText('demo-logins.txt');

  await page.getByLabel('User name').fill('sam');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong user name or password');

  await page.getByLabel('User name').fill('sam');
  await page.getByLabel('Password').fill('demo-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/products\/sales\.orders$/);
  await expect(page.getByTestId('signed-in-user')).toHaveText('Sam Sales');
  await expect(page.getByRole('heading', { name: 'Customer orders', level: 1 })).toBeVisible();

  await gotoHydrated(page, '/');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F$/);
});

test('a signed-in user makes an API token, uses it, and revokes it', async ({ page, request, baseURL }) => {
  await page.goto('/login');
  await page.getByLabel('User name').fill('cora');
  await page.getByLabel('Password').fill('demo-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('signed-in-user')).toHaveText('Cora CRM');
  await gotoHydrated(page, '/tokens');
  await page.getByLabel('What it is for').fill('e2e');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = (await page.locator('.token-secret').textContent())?.trim() ?? '';
  expect(secret).toMatch(/^atr_[0-9a-f]{12}_[0-9a-f]{64}$/);
  const me = await request.get(`${baseURL}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).teams).toEqual(['team-crm']);
  await expect(page.locator('table.tokens')).toContainText('e2e');
  await page.locator('table.tokens tr', { hasText: 'e2e' }).getByRole('button', { name: 'Revoke' }).click();
  await expect(page.locator('table.tokens')).toHaveCount(0);
  const after = await request.get(`${baseURL}/api/v1/me`, { headers: { Authorization: `Bearer ${secret}` } });
  expect(after.status()).toBe(401);
});

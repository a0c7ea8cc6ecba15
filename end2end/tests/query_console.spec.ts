import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';

test('an analyst joins three products of two domains in the SQL console', async ({ page }) => {
  await gotoHydrated(page, '/query');
  await expect(page.getByRole('heading', { name: 'SQL console' })).toBeVisible();
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.locator('.result-grid tbody tr')).toHaveCount(5);
  await expect(page.locator('.result-grid thead')).toContainText('revenue');
  await expect(page.locator('.result-grid')).toContainText('EUROPE');
  await expect(page.getByText(/^5 rows in \d+ ms$/)).toBeVisible();

  // A mistake is shown, and the earlier query is one click away.
  await page.locator('#sql').fill('SELECT nope FROM sales.orders');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.getByRole('alert')).toContainText('nope');
  await page.getByText('Earlier queries').click();
  await page.locator('.history button', { hasText: 'JOIN crm.nations' }).click();
  await expect(page.locator('#sql')).toHaveValue(/JOIN crm\.nations/);

  // The history survives a reload.
  await gotoHydrated(page, '/query');
  await page.getByText('Earlier queries').click();
  await expect(page.locator('.history button', { hasText: 'SELECT nope FROM sales.orders' })).toBeVisible();
});

test('the console refuses to change data', async ({ page }) => {
  await gotoHydrated(page, '/query');
  await page.locator('#sql').fill('DROP TABLE sales.orders');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.getByRole('alert')).toContainText('SQL error');
});

test('a syntax error is shown under the line and column where it is', async ({ page }) => {
  await gotoHydrated(page, '/query');
  await page.locator('#sql').fill('SELECT count(*)\nFORM sales.orders');
  await page.getByRole('button', { name: 'Run query' }).click();
  // `FORM` reads as an alias of count(*), so the parser stumbles on what follows it.
  await expect(page.getByRole('alert')).toHaveText(
    'SQL error: Expected: end of statement, found: sales at Line: 2, Column: 6',
  );
  await expect(page.locator('pre.error-excerpt')).toHaveText('FORM sales.orders\n     ^');
});

test('a query over the memory limit is refused, and the console and the server go on', async ({ page }) => {
  await gotoHydrated(page, '/query');
  await page.locator('#sql').fill("SELECT length(repeat('x', 2000000000)) AS n");
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.getByRole('alert')).toContainText('needs more memory than its limit');
  await page.locator('#sql').fill('SELECT 1/0');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.getByRole('alert')).toContainText('Divide by zero');
  await page.locator('#sql').fill('SELECT count(*) AS n FROM sales.orders');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.locator('.result-grid tbody tr')).toHaveCount(1);
  await expect(page.getByRole('alert')).toHaveCount(0);
});

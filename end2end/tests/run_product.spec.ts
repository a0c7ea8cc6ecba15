import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';

test('a data owner runs a product from its page and sees the new run and its data', async ({ page }) => {
  await gotoHydrated(page, '/products/crm.nations');
  const runs = page.locator('#runs li.run');
  // The demo deploy ran every product once.
  await expect(runs.first()).toContainText('succeeded');
  const before = await runs.count();
  await expect(page.locator('#sample table.sample')).toContainText('ALGERIA');
  await expect(page.locator('#sample')).toContainText('SELECT * FROM crm.nations LIMIT 100');

  await page.getByRole('button', { name: 'Run now' }).click();
  await expect(runs).toHaveCount(before + 1);
  const newest = runs.first();
  await expect(newest).toContainText('succeeded');
  await expect(newest).toContainText('manual');
  await expect(newest).toContainText('25 written');

  // The run's log is one click away.
  await newest.getByText('Log').click();
  await expect(newest.locator('pre.log')).toContainText('check `twenty_five_nations` passed');
  await expect(page.locator('#sample table.sample tbody tr')).toHaveCount(25);
});

test('a product whose input cannot be read shows the failed run and why', async ({ page }) => {
  await page.goto('/products/sales.order_events');
  const newest = page.locator('#runs li.run').first();
  await expect(newest).toContainText('failed');
  await expect(newest).toContainText('no rows received yet');
  await expect(page.locator('#sample')).toContainText('No published data yet');
});

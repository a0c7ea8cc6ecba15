import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';

test('a visitor goes from the home page to a domain and a product, and sees its schema', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Data products' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Domains' })).toBeVisible();

  // The top navigation leads to the domains, and each domain to its page.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Domains', exact: true }).click();
  await expect(page).toHaveURL(/\/domains$/);
  await expect(page.getByRole('heading', { name: 'Domains', level: 1 })).toBeVisible();
  await page.getByRole('link', { name: 'sales', exact: true }).click();
  await expect(page).toHaveURL(/\/domains\/sales$/);
  await expect(page.getByRole('heading', { name: 'sales', level: 1 })).toBeVisible();
  await expect(page.getByText('team-sales').first()).toBeVisible();

  await page.getByRole('link', { name: 'Customer orders' }).click();
  await expect(page).toHaveURL(/\/products\/sales\.orders$/);
  await expect(page.getByRole('heading', { name: 'Customer orders', level: 1 })).toBeVisible();
  await expect(page).toHaveTitle('Customer orders · Atrium');

  // The description is rendered Markdown.
  await expect(page.locator('.prose strong', { hasText: 'one row per order' })).toBeVisible();

  // The schema table shows every column with its type, classification and PII handling.
  const schema = page.locator('table.schema');
  await expect(schema.locator('tbody tr')).toHaveCount(7);
  const orderId = schema.locator('tr', { hasText: 'order_id' });
  await expect(orderId).toContainText('int64');
  await expect(orderId).toContainText('key');
  await expect(schema.locator('tr', { hasText: 'total_price' })).toContainText('decimal(15,2)');
  await expect(schema.locator('tr', { hasText: 'clerk' })).toContainText('confidential');

  // Quality checks, schedule, SLO, consumers and history.
  await expect(page.locator('table.checks')).toContainText('no_negative_totals');
  await expect(page.getByText('0 */6 * * *')).toBeVisible();
  await expect(page.locator('#operations')).toContainText('every 8h');
  await expect(page.locator('#operations').getByRole('link', { name: 'finance.revenue_by_nation' })).toBeVisible();
  await expect(page.locator('#revisions')).toContainText('r1');
});

test('PII columns show how they are handled', async ({ page }) => {
  await page.goto('/products/crm.customers');
  const schema = page.locator('table.schema');
  await expect(schema.locator('tr', { hasText: 'phone' })).toContainText('masked');
  await expect(schema.locator('tr', { hasText: 'address' })).toContainText('dropped');
  await expect(schema.locator('tr', { hasText: /^\s*name/ }).first()).toContainText('hashed');
});

test('the home page searches the catalog with a plain form, and no longer ships every product', async ({ page }) => {
  await page.goto('/');
  const box = page.getByRole('searchbox', { name: 'Search the catalog' }).first();
  await box.fill('revenue');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=revenue$/);
  await expect(page.getByTestId('search-hit').filter({ hasText: 'Daily revenue' })).toBeVisible();
  // The home page lists only the recently changed products.
  await page.goto('/');
  await expect(page.locator('main table tbody tr')).toHaveCount(8);
});

test('an unknown product answers 404 with a readable page', async ({ page }) => {
  const response = await page.goto('/products/sales.nope');
  expect(response?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('product `sales.nope` does not exist');
});

test('pages fit a phone screen, also with the browser set to large text', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const pages = ['/', '/domains/crm', '/products/sales.orders', '/products/crm.customers', '/query', '/new', '/search?q=customer'];
  // 20px is Chromium's "Large" font size; the layout has to hold with any content (e.g. a long source path).
  for (const textSize of ['default', '20px']) {
    for (const path of pages) {
      await gotoHydrated(page, path);
      await expect(page.locator('main h1')).toBeVisible();
      if (textSize !== 'default') await page.addStyleTag({ content: `html { font-size: ${textSize}; }` });
      // What sticks out of the page (outside any element that scrolls on its own), to name it on failure.
      const overflow = await page.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const scrollsOnItsOwn = (element: Element) => {
          for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
            if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(e).overflowX)) return true;
          }
          return false;
        };
        const culprits = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > width + 0.5 && !scrollsOnItsOwn(e))
          .slice(0, 5)
          .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> ${(e.textContent ?? '').slice(0, 40)}`);
        return { pixels: document.documentElement.scrollWidth - width, culprits };
      });
      const where = `${path} (text ${textSize})`;
      expect(overflow.pixels, `horizontal overflow on ${where}: ${overflow.culprits.join(' | ')}`).toBeLessThanOrEqual(0);
    }
  }
});

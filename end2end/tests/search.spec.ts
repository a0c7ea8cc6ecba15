import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';
import { signedInAs } from './operator';

test('a user searches from the header with suggestions, narrows with a facet and opens a result', async ({ page }) => {
  await gotoHydrated(page, '/');
  // `/` focuses the header's search box from anywhere on the page.
  await page.locator('main h1').click();
  await page.keyboard.press('/');
  const box = page.getByRole('combobox', { name: 'Search the catalog' });
  await expect(box).toBeFocused();
  await box.pressSequentially('revenu');
  const suggestions = page.getByRole('listbox', { name: 'Suggestions' });
  await expect(suggestions.getByRole('option', { name: /Daily revenue/ })).toBeVisible();
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await box.press('Escape');
  await expect(suggestions).toBeHidden();
  await expect(box).toHaveAttribute('aria-expanded', 'false');

  // Enter without a chosen suggestion searches.
  await box.fill('revenue');
  await box.press('Enter');
  await expect(page).toHaveURL(/\/search\?q=revenue$/);
  const hits = page.getByTestId('search-hit');
  await expect(hits.first()).toContainText('revenue', { ignoreCase: true });
  await expect(hits.first().locator('.snippet b, .result-title').first()).toBeVisible();

  // A facet narrows the results and says how many each value has.
  const typeFacet = page.locator('[data-facet="type"]');
  const columnFacet = typeFacet.getByRole('link', { name: /^column/ });
  await expect(columnFacet.locator('.facet-count')).toHaveText(/\d+/);
  await columnFacet.click();
  await expect(page).toHaveURL(/type=column/);
  await expect(page.locator('[data-testid="search-hit"][data-kind="product"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="search-hit"][data-kind="column"]').first()).toBeVisible();
  // …and clicking it again clears it.
  await page.locator('[data-facet="type"]').getByRole('link', { name: /^column/ }).click();
  await expect(page).not.toHaveURL(/type=column/);

  // The first product hit opens its page.
  const product = page.locator('[data-testid="search-hit"][data-kind="product"]').first();
  const title = (await product.locator('.result-title').textContent())!.trim();
  await product.locator('.result-title').click();
  await expect(page).toHaveURL(/\/products\//);
  await expect(page.getByRole('heading', { name: title, level: 1 })).toBeVisible();
});

test('the arrow keys pick a suggestion and Enter opens it', async ({ page }) => {
  await gotoHydrated(page, '/domains/crm');
  const box = page.getByRole('combobox', { name: 'Search the catalog' });
  await box.click();
  await box.pressSequentially('daily');
  const first = page.getByRole('listbox', { name: 'Suggestions' }).getByRole('option').first();
  await expect(first).toContainText('Daily revenue');
  await box.press('ArrowDown');
  await expect(first).toHaveAttribute('aria-selected', 'true');
  await expect(box).toHaveAttribute('aria-activedescendant', (await first.getAttribute('id'))!);
  await box.press('Enter');
  await expect(page).toHaveURL(/\/products\/sales\.daily_revenue$/);
});

test('the search page works as a plain form and updates as you type once hydrated', async ({ page }) => {
  // Server-rendered: the results are in the HTML of the shareable URL.
  const response = await page.goto('/search?q=customer+orders&domain=sales');
  expect(response?.status()).toBe(200);
  await expect(page.getByTestId('search-hit').first()).toContainText('Customer orders');
  await expect(page.locator('.chips')).toContainText('domain: sales');

  await gotoHydrated(page, '/search');
  const box = page.locator('#search-q');
  await box.pressSequentially('suppliers');
  await expect(page).toHaveURL(/\/search\?q=suppliers$/);
  await expect(page.getByTestId('search-hit').first()).toContainText('Suppliers');
  // A malformed query is read leniently and the page says how.
  await box.fill('"unclosed colour:red');
  await expect(page.getByTestId('read-as')).toContainText('not closed');
  // Nothing found: what may help instead.
  await box.fill('zzzqqq');
  await expect(page.getByTestId('no-results')).toContainText('Popular products');
});

test("an outsider's search shows no restricted product, not even in a count", async ({ browser, baseURL, page }) => {
  // The admin (and finance) find the restricted product, with its tags.
  await page.goto('/search?q=receivables');
  await expect(page.getByTestId('search-hit').first()).toContainText('Open receivables');
  await expect(page.locator('[data-facet="tag"]')).toContainText('cash');

  const context = await signedInAs(browser, baseURL!, 'olga');
  const outsider = await context.newPage();
  await gotoHydrated(outsider, '/search?q=receivables');
  await expect(outsider.getByTestId('no-results')).toBeVisible();
  await expect(outsider.getByTestId('search-hit')).toHaveCount(0);
  await expect(outsider.locator('.facets')).not.toContainText('receivables');
  // Browsing finance lists its other products, and no facet counts the hidden one.
  await gotoHydrated(outsider, '/search?q=&domain=finance&type=product');
  await expect(outsider.getByTestId('search-hit').first()).toBeVisible();
  await expect(outsider.locator('main')).not.toContainText('receivables');
  await expect(outsider.locator('.facets')).not.toContainText('cash');
  const box = outsider.getByRole('combobox', { name: 'Search the catalog' });
  await box.pressSequentially('receiv');
  await expect(outsider.getByRole('listbox', { name: 'Suggestions' }).getByRole('option')).toHaveCount(0);
  await context.close();
});

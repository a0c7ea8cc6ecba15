// Takes the README's screenshots from a running server: node screenshot.mjs http://127.0.0.1:3000
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const out = process.argv[3] ?? '../docs';
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const shots = [
  ['product-page.png', '/products/sales.orders', { width: 1280, height: 1500 }],
  ['home-page.png', '/', { width: 1280, height: 1000 }],
  ['product-page-phone.png', '/products/crm.customers', { width: 390, height: 1400 }],
];
for (const [file, path, viewport] of shots) {
  const page = await browser.newPage({ viewport });
  await page.goto(base + path);
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: `${out}/${file}` });
  await page.close();
}
// The runs and the sample data of a product, further down its page.
const runs = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await runs.goto(base + '/products/sales.daily_revenue');
await runs.waitForLoadState('networkidle');
await runs.locator('#sample').scrollIntoViewIfNeeded();
await runs.evaluate(() => document.querySelector('#sample').scrollIntoView());
await runs.screenshot({ path: `${out}/product-runs.png` });
// The SQL console with the result of its first query.
const console_ = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await console_.goto(base + '/query');
await console_.locator('body[data-hydrated="true"]').waitFor({ state: 'attached' });
await console_.getByRole('button', { name: 'Run query' }).click();
await console_.locator('.result-grid tbody tr').first().waitFor();
await console_.screenshot({ path: `${out}/sql-console.png` });
await browser.close();

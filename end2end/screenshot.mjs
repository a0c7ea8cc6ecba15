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
await browser.close();

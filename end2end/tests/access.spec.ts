import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';
import { atrium, moveServerClock, signedInAs } from './operator';

test('an outsider sees no trace of a restricted product', async ({ browser, baseURL }) => {
  const context = await signedInAs(browser, baseURL!, 'olga');
  const page = await context.newPage();
  await gotoHydrated(page, '/');
  await expect(page.getByTestId('signed-in-user')).toHaveText('Olga Outsider');
  await expect(page.getByRole('heading', { name: 'Data products' })).toBeVisible();
  await expect(page.locator('main')).not.toContainText('receivables');
  await gotoHydrated(page, '/domains/finance');
  await expect(page.locator('main')).not.toContainText('receivables');
  const response = await page.goto('/products/finance.receivables');
  expect(response?.status()).toBe(404);
  await expect(page.locator('main')).toContainText('does not exist');
  await gotoHydrated(page, '/query');
  await page.locator('#sql').fill('SELECT count(*) FROM finance.receivables');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.locator('.error-text')).toContainText('not found');
  await context.close();
});

test('a reader without a grant sees the contract but no rows, until the owner grants it, and not after', async ({ browser, baseURL }) => {
  const context = await signedInAs(browser, baseURL!, 'olga');
  const page = await context.newPage();
  await gotoHydrated(page, '/products/sales.orders');
  await expect(page.getByRole('heading', { name: 'Customer orders', level: 1 })).toBeVisible();
  await expect(page.locator('table.schema')).toContainText('order_id');
  await expect(page.locator('#sample')).toContainText('needs a grant');
  await expect(page.locator('#sample table')).toHaveCount(0);

  const ask = async () => {
    await gotoHydrated(page, '/query');
    await page.locator('#sql').fill('SELECT count(*) AS n FROM sales.orders');
    await page.getByRole('button', { name: 'Run query' }).click();
  };
  await ask();
  await expect(page.locator('.error-text')).toContainText('atrium grant add sales.orders --to user:olga');

  const granted = atrium('grant', 'add', 'sales.orders', '--to', 'user:olga', '--expires', '1h');
  const id = /grant (\d+)/.exec(granted)?.[1];
  expect(id).toBeTruthy();
  await ask();
  await expect(page.locator('.result-grid')).toContainText('15000');
  await gotoHydrated(page, '/products/sales.orders');
  await expect(page.locator('#sample table')).toBeVisible();

  // Two hours on, the one-hour grant has expired: no sweep, the decision reads the clock.
  moveServerClock(2 * 3600);
  try {
    await ask();
    await expect(page.locator('.error-text')).toContainText('needs a grant');
  } finally {
    moveServerClock(0);
  }
  // A revoked grant stops at once.
  await ask();
  await expect(page.locator('.result-grid')).toContainText('15000');
  atrium('grant', 'revoke', id!);
  await ask();
  await expect(page.locator('.error-text')).toContainText('needs a grant');
  await context.close();
});

test('no descriptor text runs a script in the browser', async ({ page, request, baseURL }) => {
  const hostile = (n: number) => `<img src=x onerror="window.__pwned=${n}"><script>window.__pwned=${n}</script>`;
  const descriptor = `apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: sales.hostile
  title: ${JSON.stringify(`Clicks </title><script>window.__pwned=1</script>`)}
  owner: ${JSON.stringify(hostile(2))}
  description: ${JSON.stringify(hostile(3))}
  tags: [${JSON.stringify('<img src=x onerror="window.__pwned=4">')}]
inputs:
  - { name: events, source: { kind: stream } }
transform:
  sql: ${JSON.stringify(`SELECT click_id AS "${hostile(5)}" FROM events`)}
outputs:
  - name: hostile
    description: ${JSON.stringify(hostile(6))}
    columns:
      - { name: click_id, type: int64, description: ${JSON.stringify(hostile(7))} }
    quality:
      - { name: has_rows, sql: ${JSON.stringify(`SELECT count(*) > -1 FROM hostile -- ${hostile(8)}`)}, expect: true }
`;
  const deployed = await request.post(`${baseURL}/api/v1/products?file=hostile.yaml`, {
    data: descriptor,
    headers: { Origin: baseURL!, 'content-type': 'application/yaml' },
  });
  expect([200, 201], await deployed.text()).toContain(deployed.status());
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  for (const path of ['/products/sales.hostile', '/', '/domains/sales']) {
    await gotoHydrated(page, path);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  }
  await gotoHydrated(page, '/products/sales.hostile');
  await expect(page).toHaveTitle('Clicks </title><script>window.__pwned=1</script> · Atrium');
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
});

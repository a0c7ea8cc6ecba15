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

test('rows of the wrong type are set aside and counted on the run, with their reason', async ({ page, request, baseURL }) => {
  const descriptor = `apiVersion: atrium/v1
kind: DataProduct
metadata: { id: ops.calls, title: Support calls, owner: team-ops, description: One row per call. }
inputs:
  - name: calls
    source: { kind: stream }
    columns: { call_id: int64, minutes: float64 }
outputs:
  - name: calls
    description: One row per call.
    columns:
      - { name: call_id, type: int64, required: true }
      - { name: minutes, type: float64 }
`;
  expect((await request.post('/api/v1/products', { data: descriptor, headers: { Origin: baseURL! } })).status()).toBe(201);
  const rows = '{"call_id": 1, "minutes": 3.5}\n{"call_id": 2, "minutes": "long"}\n{"call_id": 3, "minutes": 1}\n';
  expect((await request.post('/api/v1/products/ops.calls/inputs/calls/rows', { data: rows, headers: { Origin: baseURL! } })).status()).toBe(202);

  // The deploy started a run in the background; a product runs once at a time, so wait for it.
  await expect
    .poll(async () => {
      const statuses = (await (await request.get('/api/v1/products/ops.calls/runs')).json()).map(
        (run: { status: string }) => run.status,
      );
      return statuses.length > 0 && !statuses.includes('running');
    })
    .toBe(true);
  await gotoHydrated(page, '/products/ops.calls');
  await page.getByRole('button', { name: 'Run now' }).click();
  const newest = page.locator('#runs li.run').first();
  await expect(newest).toContainText('succeeded');
  await expect(newest).toContainText('3 read · 2 written');
  const rejected = newest.getByRole('link', { name: '1 rejected' });
  await expect(rejected).toBeVisible();
  await newest.getByText('Log').click();
  await expect(newest.locator('pre.log')).toContainText('column `minutes`: `long` is not a valid float64');

  // The badge leads to the quarantine's rows.
  const href = await rejected.getAttribute('href');
  const listed = await (await request.get(href ?? '')).json();
  expect(listed).toEqual([expect.objectContaining({ input: 'calls', line: 2, column: 'minutes' })]);
});

test('a product with two outputs shows each with its query, and a run publishes both', async ({ page }) => {
  await gotoHydrated(page, '/products/finance.receivables');
  const aging = page.locator('#output-aging');
  await expect(aging).toContainText('finance.receivables.aging');
  await expect(aging.locator('pre.output-sql')).toContainText('FROM receivables GROUP BY 1');
  // The first output keeps the product's name.
  await expect(page.locator('#output-receivables dd.mono').first()).toHaveText('finance.receivables');
  await expect(page.locator('#output-receivables pre.output-sql')).toHaveCount(0);
  // The demo deploy ran it: both outputs have a published version.
  await expect(aging).not.toContainText('none yet');
  await expect(page.locator('#output-receivables')).not.toContainText('none yet');
  const newest = page.locator('#runs li.run').first();
  await expect(newest).toContainText('succeeded');
  await newest.getByText('Log').click();
  await expect(newest.locator('pre.log')).toContainText('check `three_buckets_at_most` of `aging` passed');

  // The sample shows either output.
  await expect(page.locator('#sample pre.sql')).toHaveText('SELECT * FROM finance.receivables LIMIT 100');
  await expect(page.locator('#sample table thead')).toContainText('amount_due');
  await page.locator('#sample select').selectOption('aging');
  await expect(page.locator('#sample pre.sql')).toHaveText('SELECT * FROM finance.receivables.aging LIMIT 100');
  await expect(page.locator('#sample table thead')).toContainText('bucket');
  await expect(page.locator('#sample table tbody')).toContainText('days');
});

test('an output of a product with several is queried by its three-part name', async ({ page }) => {
  await gotoHydrated(page, '/query');
  await page.locator('#sql').fill('SELECT count(*) AS months, sum(orders) > 0 AS has_orders FROM sales.daily_revenue.monthly');
  await page.getByRole('button', { name: 'Run query' }).click();
  await expect(page.locator('.result-grid tbody tr')).toHaveCount(1);
  await expect(page.locator('.result-grid tbody')).toContainText('true');
});

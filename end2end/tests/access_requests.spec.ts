import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';
import { signedInAs } from './operator';

// The whole access loop in the browser: Fiona (finance) is refused an internal product of
// supply, asks for it with a purpose, Sunny (who owns supply) sees the badge, approves for fewer
// days, Fiona's next query answers, the audit log tells every step, Sunny revokes and Fiona is
// refused again.
test('request, approve, read, audit, revoke: the access loop', async ({ browser, baseURL }) => {
  const fiona = await (await signedInAs(browser, baseURL!, 'fiona')).newPage();
  const sunny = await (await signedInAs(browser, baseURL!, 'sunny')).newPage();
  const ask = async () => {
    await gotoHydrated(fiona, '/query');
    await fiona.locator('#sql').fill('SELECT count(*) AS n FROM supply.suppliers');
    await fiona.getByRole('button', { name: 'Run query' }).click();
  };

  await ask();
  await expect(fiona.locator('.error-text')).toContainText('needs a grant');
  await fiona.getByTestId('request-access-link').click();
  await expect(fiona).toHaveURL(/\/products\/supply\.suppliers#request-access$/);
  await expect(fiona.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 15_000 });
  const form = fiona.locator('#request-access');
  await form.getByLabel('Purpose').fill('Supplier risk in the quarterly cost review');
  await form.getByLabel('Duration').fill('30');
  await form.getByRole('button', { name: 'Request access' }).click();
  await expect(fiona.getByTestId('pending-request')).toContainText('Supplier risk in the quarterly cost review');

  // The owner's header counts the request on every page; the inbox shows who asks and why.
  await gotoHydrated(sunny, '/');
  await expect(sunny.getByTestId('inbox-count')).toBeVisible();
  await sunny.getByTestId('inbox-link').click();
  const entry = sunny.getByTestId('inbox-entry').filter({ hasText: 'supply.suppliers' });
  await expect(entry).toContainText('fiona');
  await expect(entry).toContainText('Supplier risk in the quarterly cost review');
  await expect(entry).toContainText('30 days');
  await entry.getByLabel('Days').fill('7');
  await entry.getByLabel('Comment').fill('a week is enough for the review');
  await entry.getByRole('button', { name: 'Approve' }).click();
  await expect(sunny.getByTestId('inbox-entry').filter({ hasText: 'supply.suppliers' })).toHaveCount(0);

  // The very next query answers.
  await ask();
  await expect(fiona.locator('.result-grid')).toContainText('100');
  await gotoHydrated(fiona, '/access');
  await expect(fiona.locator('#notifications')).toContainText('approved access to `supply.suppliers`');
  await expect(fiona.getByTestId('held-grant').filter({ hasText: 'supply.suppliers' })).toContainText('expires soon');

  // The audit log tells the refusal, the request, the approval and the query with its rows.
  await gotoHydrated(sunny, '/audit?product=supply.suppliers');
  const rows = sunny.getByTestId('audit-row');
  await expect(rows.filter({ hasText: 'access.approve' })).toHaveCount(1);
  await expect(rows.filter({ hasText: 'access.request' })).toContainText('user:fiona');
  await expect(sunny.locator('tr[data-action="query"][data-outcome="refused"]')).toHaveCount(1);
  await expect(sunny.locator('tr[data-action="query"][data-outcome="ok"]')).toContainText('rows: 1');

  // Revoked: refused again at once.
  await gotoHydrated(sunny, '/products/supply.suppliers');
  const grant = sunny.locator('#access table.grants tr').filter({ hasText: 'user:fiona' }).filter({ hasText: 'active' });
  await grant.getByLabel('Reason').fill('review done');
  await grant.getByRole('button', { name: 'Revoke' }).click();
  await expect(sunny.locator('#access table.grants tr').filter({ hasText: 'user:fiona' })).toContainText('revoked');
  await ask();
  await expect(fiona.locator('.error-text')).toContainText('needs a grant');
  await gotoHydrated(sunny, '/audit?product=supply.suppliers&action=grant.revoke');
  await expect(sunny.getByTestId('audit-row')).toContainText('review done');
});

test('the demo shows its access story and reads between at least three domains', async ({ browser, baseURL }) => {
  const sunny = await (await signedInAs(browser, baseURL!, 'sunny')).newPage();
  await gotoHydrated(sunny, '/access/inbox');
  await expect(sunny.getByTestId('inbox-entry').filter({ hasText: 'supply.supplier_performance' })).toContainText(
    'team-marketing',
  );
  const cora = await (await signedInAs(browser, baseURL!, 'cora')).newPage();
  await gotoHydrated(cora, '/access');
  await expect(cora.getByTestId('held-grant').filter({ hasText: 'sales.line_items' })).toContainText('expires soon');
  const olga = await (await signedInAs(browser, baseURL!, 'olga')).newPage();
  await gotoHydrated(olga, '/access');
  await expect(olga.getByTestId('my-request').filter({ hasText: 'sales.orders' })).toContainText('denied');

  await gotoHydrated(sunny, '/usage');
  await expect(sunny.getByTestId('usage-node')).toHaveCount(5);
  const edges = sunny.getByTestId('usage-edge');
  expect(await edges.count()).toBeGreaterThanOrEqual(3);
  // An SVG stroke's box centre need not be on the stroke: the click is dispatched to the path.
  await sunny.locator('[data-testid="usage-edge"][data-from="finance"][data-to="sales"]').dispatchEvent('click');
  await expect(sunny.getByTestId('usage-detail')).toContainText('finance.revenue_by_nation');
});

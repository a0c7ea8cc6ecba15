import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { gotoHydrated } from './hydrated';

const SIGNUPS = [
  'Customer Id,Email,Phone,Full Name,Amount,Signup Day',
  '1,ann@example.com,+33 1 23 45 67 89,Ann Lee,10.50,2024-01-05',
  '2,bob@example.org,+44 20 7946 0958,Bob Stone,3.25,2024-01-06',
  '3,cy@example.net,+1 555 010 9999,Cy Twombly,7.00,2024-01-07',
].join('\n');

test('a data owner makes a product from a CSV without writing code', async ({ page }) => {
  await gotoHydrated(page, '/new');
  await page.getByLabel('CSV with a header line, JSON lines, or Parquet').setInputFiles({
    name: 'signups.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(SIGNUPS),
  });

  // What the file holds: types, personal data with the evidence, the first rows.
  const found = page.locator('table.profile');
  await expect(found.locator('tr', { hasText: 'Email' })).toContainText('3 of 3 sampled values are email addresses');
  await expect(found.locator('tr', { hasText: 'Email' })).toContainText('a***@e***.com');
  await expect(found.locator('tr', { hasText: 'Phone' })).toContainText('phone number');
  await expect(found.locator('tr', { hasText: 'Signup Day' })).toContainText('date');
  await expect(page.getByLabel('Handling of Email')).toHaveValue('hash');
  await expect(page.getByLabel('Handling of Amount')).toHaveValue('none');
  await expect(page.locator('table.sample')).toContainText('Bob Stone');

  // The policy check follows the form.
  const check = page.locator('section.check');
  await expect(check.getByRole('status')).toContainText('domain and name');
  await page.getByLabel('Domain', { exact: true }).fill('crm');
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue('signups');
  await page.getByLabel('Title', { exact: true }).fill('Sign-ups');
  await page.getByLabel('Owner (team or user)').fill('team-crm');
  await expect(check.getByRole('status')).toHaveText('The descriptor passes every policy.');
  await page.getByLabel('Handling of Email').selectOption('keep');
  await expect(check.getByRole('status')).toContainText('restricted');
  await expect(page.getByRole('button', { name: 'Create the product and run it' })).toBeDisabled();
  await page.getByLabel('Handling of Email').selectOption('hash');
  await expect(check.getByRole('status')).toHaveText('The descriptor passes every policy.');
  await expect(check.locator('pre.descriptor')).toContainText('{ name: email, type: string, classification: pii, pii: hash }');
  await expect(check.getByRole('link', { name: 'Download the descriptor' })).toHaveAttribute('download', 'descriptor.yaml');

  await page.getByRole('button', { name: 'Create the product and run it' }).click();
  const created = page.locator('section.created');
  await expect(created).toContainText('Created crm.signups');
  await expect(created).toContainText('3 rows read');
  await expect(created).toContainText('First run succeeded: 3 written');
  await created.getByRole('link', { name: 'Open the product' }).click();
  await expect(page.getByRole('heading', { name: 'Sign-ups', level: 1 })).toBeVisible();
  const sample = page.locator('#sample table.sample');
  await expect(sample).toContainText('Bob Stone'.replace('Bob Stone', 'B** ***ne'));
  await expect(sample).not.toContainText('ann@example.com');
});

test('a product can read its data from a URL on every run', async ({ page }) => {
  // A file server of the team's: it answers the CSV at /exports/stores.csv.
  const server = http.createServer((request, response) => {
    if (request.url?.startsWith('/exports/stores.csv')) {
      response.writeHead(200, { 'content-type': 'text/csv' });
      response.end('Store Id,City,Manager Email\n1,Lyon,ann@example.com\n2,Porto,bob@example.org\n');
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    await gotoHydrated(page, '/new');
    await page.getByPlaceholder('https://example.org/exports/orders.csv').fill(`http://127.0.0.1:${port}/exports/gone.csv`);
    await page.getByRole('button', { name: 'Read the URL' }).click();
    await expect(page.getByRole('alert')).toContainText('404');

    await page.getByPlaceholder('https://example.org/exports/orders.csv').fill(`http://127.0.0.1:${port}/exports/stores.csv`);
    await page.getByRole('button', { name: 'Read the URL' }).click();
    const found = page.locator('table.profile');
    await expect(found.locator('tr', { hasText: 'Manager Email' })).toContainText('2 of 2 sampled values are email addresses');
    await page.getByLabel('Domain', { exact: true }).fill('supply');
    await page.getByLabel('Owner (team or user)').fill('team-supply');
    const check = page.locator('section.check');
    await expect(check.getByRole('status')).toHaveText('The descriptor passes every policy.');
    await expect(check.locator('pre.descriptor')).toContainText(`kind: url, format: csv, url: "http://127.0.0.1:${port}/exports/stores.csv"`);
    await expect(check.locator('pre.descriptor')).toContainText('"Manager Email" AS manager_email');
    await page.getByRole('button', { name: 'Create the product and run it' }).click();
    const created = page.locator('section.created');
    await expect(created).toContainText('Created supply.stores');
    await expect(created).toContainText('First run succeeded: 2 written');
  } finally {
    server.close();
  }
});

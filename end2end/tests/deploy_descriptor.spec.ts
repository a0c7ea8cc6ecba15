import { expect, test } from '@playwright/test';

const descriptor = (title: string) => `apiVersion: atrium/v1
kind: DataProduct
metadata:
  id: ops.tickets
  title: ${title}
  owner: team-ops
  description: Support tickets, one row per ticket.
outputs:
  - name: tickets
    description: One row per ticket.
    columns:
      - { name: ticket_id, type: int64, primary_key: true }
      - { name: subject, type: string, classification: internal }
`;

test('a bad descriptor sent to the API comes back with every located error', async ({ request, baseURL }) => {
  const bad = descriptor('Tickets')
    .replace('type: int64', 'type: integer')
    .replace('classification: internal', 'classification: secret');
  const response = await request.post('/api/v1/products?file=tickets.yaml', { data: bad, headers: { Origin: baseURL! } });
  expect(response.status()).toBe(422);
  const body = await response.json();
  expect(body.error.code).toBe('invalid');
  expect(body.error.details).toEqual([
    expect.objectContaining({ file: 'tickets.yaml', line: 12, field: 'outputs[0].columns[0].type' }),
    expect.objectContaining({ file: 'tickets.yaml', line: 13, field: 'outputs[0].columns[1].classification' }),
  ]);
  expect(body.error.details[0].message).toContain('unknown type `integer`');
});

test('a descriptor deployed through the API appears in the portal', async ({ request, page, baseURL }) => {
  const created = await request.post('/api/v1/products', { data: descriptor('Support tickets'), headers: { Origin: baseURL! } });
  expect([200, 201]).toContain(created.status());
  const again = await request.post('/api/v1/products', { data: descriptor('Support tickets'), headers: { Origin: baseURL! } });
  expect(again.status()).toBe(200);
  expect((await again.json()).change).toBe('unchanged');

  await page.goto('/domains/ops');
  await page.getByRole('link', { name: 'Support tickets' }).click();
  await expect(page.getByRole('heading', { name: 'Support tickets', level: 1 })).toBeVisible();
  await expect(page.locator('table.schema')).toContainText('ticket_id');
});

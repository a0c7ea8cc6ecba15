import { expect, type Page } from '@playwright/test';

/** Opens `path` and waits until the wasm bundle has hydrated the page (the App marks <body>). */
export async function gotoHydrated(page: Page, path: string) {
  const response = await page.goto(path);
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 15_000 });
  return response;
}

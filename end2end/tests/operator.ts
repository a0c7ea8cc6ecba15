import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext } from '@playwright/test';
import { signIn } from '../global-setup';

/** Runs the `atrium` CLI on the server's data dir, as its operator would; returns stdout. */
export function atrium(...args: string[]): string {
  const bin = process.env.E2E_ATRIUM_BIN ?? path.resolve(__dirname, '../../target/debug/atrium');
  const dataDir = readFileSync(path.resolve(__dirname, '../.auth/data-dir'), 'utf8').trim();
  return execFileSync(bin, ['--data-dir', dataDir, ...args], { encoding: 'utf8' });
}

/** A browser context signed in as one of the demo accounts. */
export async function signedInAs(browser: Browser, baseURL: string, user: string): Promise<BrowserContext> {
  const file = path.resolve(__dirname, `../.auth/${user}.json`);
  await signIn(baseURL, user, file);
  return browser.newContext({ storageState: file });
}

/** Moves the server's clock `seconds` ahead of the real time (0: back to it). */
export function moveServerClock(seconds: number) {
  writeFileSync(path.resolve(__dirname, '../.auth/clock-offset'), `${seconds}\n`);
}

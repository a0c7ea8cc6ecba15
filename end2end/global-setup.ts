import { request, type FullConfig } from '@playwright/test';

/** The password every demo account has in the browser tests (serve.sh sets it). */
export const DEMO_PASSWORD = 'demo-password';

/** Signs `user` in through the sign-in form's endpoint and keeps the session in `path`. */
export async function signIn(baseURL: string, user: string, path: string) {
  const context = await request.newContext({ baseURL });
  // A browser sends its origin with a form; the server refuses state changes without it.
  const response = await context.post('/auth/login', {
    form: { name: user, password: DEMO_PASSWORD, next: '/' },
    headers: { Origin: baseURL },
    maxRedirects: 0,
  });
  if (response.status() !== 303 || !(response.headers()['set-cookie'] ?? '').includes('atrium_session=')) {
    throw new Error(`signing in as ${user} answered ${response.status()}`);
  }
  await context.storageState({ path });
  await context.dispose();
}

/** Every test runs signed in as the demo admin unless it signs in as someone else. */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0].use.baseURL as string;
  await signIn(baseURL, 'admin', '.auth/admin.json');
}

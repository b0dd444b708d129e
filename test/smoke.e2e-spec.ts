import { ROOT_EMAIL, ROOT_PASSWORD, startTestApp, TestApp } from './support/app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('signs in the bootstrap admin', async () => {
    const token = await t.client.login(ROOT_EMAIL, ROOT_PASSWORD);
    const me = await t.client.get('/auth/v1/me', token);
    expect(me.status).toBe(200);
    expect(me.body.role).toBe('controller_admin');
  });
});

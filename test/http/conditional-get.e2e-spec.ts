/** A GET that sends an ETag answers 304 with no body when If-None-Match matches it (RFC 9110 §13.1.2). */
import { smtp } from '../email-config/helpers';
import { startTestApp, TestApp } from '../support/app';
import { buildWorld, World } from '../support/world';

describe('conditional GET', () => {
  let t: TestApp;
  let w: World;
  /** The tag GET sends: the profile's tag from POST plus a digest of the health shown beside it. */
  let etag: string;
  let profileEtag: string;

  beforeAll(async () => {
    t = await startTestApp();
    w = await buildWorld(t.client, 'cond');
    const created = await t.client.post('/event/v1/email/config', smtp(), w.partnerA.admin.token);
    expect(created.status).toBe(201);
    profileEtag = created.headers.etag as string;
    etag = (await get()).headers.etag as string;
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (ifNoneMatch?: string) =>
    t.client.get('/event/v1/email/config', w.partnerA.admin.token, ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch });

  it('answers 200 with the ETag without If-None-Match; the tag names the profile version it shows', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe(etag);
    expect(etag.startsWith(profileEtag.slice(0, -1) + '.')).toBe(true);
  });

  it.each([
    ['the same tag', (e: string) => e],
    ['the tag marked weak (weak comparison)', (e: string) => `W/${e}`],
    ['the tag in a list', (e: string) => `"other", ${e}`],
    ['*', () => '*'],
  ])('answers 304 with no body for %s', async (_name, header) => {
    const res = await get(header(etag));
    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(etag);
  });

  it('answers 200 with the body for another tag, and again after the profile changed', async () => {
    const other = await get('"not-the-tag"');
    expect(other.status).toBe(200);
    expect(JSON.stringify(other.body)).toContain('smtp.partner.test');
    const changed = await t.client.patch(
      '/event/v1/email/config',
      { email_config: { smtp_config: { retries: 2 } } },
      w.partnerA.admin.token,
    );
    expect(changed.status).toBe(200);
    const stale = await get(etag);
    expect(stale.status).toBe(200);
    expect(stale.headers.etag).not.toBe(etag);
  });

  it('answers 200 with the new health once a test through the profile failed, and the tag still works for If-Match', async () => {
    const before = await get();
    expect(before.body.email_config.health.last_failure).toBeNull();
    const test = await t.client.post('/event/v1/email/config/verification', { mode: 'connect' }, w.partnerA.admin.token);
    expect(test.status).toBeGreaterThanOrEqual(400);
    const after = await get(before.headers.etag as string);
    expect(after.status).toBe(200);
    expect(after.body.email_config.health.last_failure).not.toBeNull();
    expect(after.headers.etag).not.toBe(before.headers.etag);
    // A precondition stands for the profile version alone: health changing does not make a save stale.
    const patched = await t.client.patch(
      '/event/v1/email/config',
      { email_config: { smtp_config: { retries: 4 } } },
      w.partnerA.admin.token,
      { 'if-match': before.headers.etag as string },
    );
    expect(patched.status).toBe(200);
  });

  it('leaves errors and state-changing requests alone', async () => {
    const missing = await t.client.get('/event/v1/email/config', w.orgA1.admin.token, { 'if-none-match': '*' });
    expect(missing.status).toBeGreaterThanOrEqual(400);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});

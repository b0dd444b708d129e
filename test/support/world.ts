/**
 * A small multi-tenant world built through the public API: the controller admin, two partners (A, B)
 * with their admins and auditors, and organizations A1, A2, B1 with their admins.
 */
import { ROOT_EMAIL, ROOT_PASSWORD, TestClient } from './app';

export const PASSWORD = 'tenant-passphrase-2026';

export interface Member {
  email: string;
  id: string;
  token: string;
}

export interface World {
  root: Member;
  partnerA: { id: string; admin: Member; auditor: Member };
  partnerB: { id: string; admin: Member; auditor: Member };
  orgA1: { id: string; admin: Member; auditor: Member };
  orgA2: { id: string; admin: Member };
  orgB1: { id: string; admin: Member };
}

async function expectCreated(res: { status: number; text: string; body: any }) {
  if (res.status !== 201) throw new Error(`expected 201, got ${res.status}: ${res.text}`);
  return res.body;
}

export async function buildWorld(client: TestClient, tag = 'w'): Promise<World> {
  const rootToken = await client.login(ROOT_EMAIL, ROOT_PASSWORD);
  const me = (await client.get('/auth/v1/me', rootToken)).body;
  const root = { email: ROOT_EMAIL, id: me.id, token: rootToken };

  const member = async (email: string, id: string): Promise<Member> => ({ email, id, token: await client.login(email, PASSWORD) });

  const partner = async (name: string) => {
    const email = `admin@${name.toLowerCase()}.${tag}.test`;
    const body = await expectCreated(await client.post('/auth/v1/partners', { name, admin: { email, password: PASSWORD } }, rootToken));
    const admin = await member(email, body.admin.id);
    const auditorEmail = `auditor@${name.toLowerCase()}.${tag}.test`;
    const auditor = await expectCreated(
      await client.post('/auth/v1/users', { email: auditorEmail, role: 'auditor', password: PASSWORD }, admin.token),
    );
    return { id: body.id as string, admin, auditor: await member(auditorEmail, auditor.id) };
  };
  const partnerA = await partner(`PartnerA-${tag}`);
  const partnerB = await partner(`PartnerB-${tag}`);

  const org = async (name: string, creator: Member) => {
    const email = `admin@${name.toLowerCase()}.${tag}.test`;
    const body = await expectCreated(
      await client.post('/auth/v1/organizations', { name, admin: { email, password: PASSWORD } }, creator.token),
    );
    return { id: body.id as string, admin: await member(email, body.admin.id) };
  };
  const a1 = await org('OrgA1', partnerA.admin);
  const a1AuditorEmail = `auditor@orga1.${tag}.test`;
  const a1Auditor = await expectCreated(
    await client.post('/auth/v1/users', { email: a1AuditorEmail, role: 'auditor', password: PASSWORD }, a1.admin.token),
  );
  return {
    root,
    partnerA,
    partnerB,
    orgA1: { ...a1, auditor: await member(a1AuditorEmail, a1Auditor.id) },
    orgA2: await org('OrgA2', partnerA.admin),
    orgB1: await org('OrgB1', partnerB.admin),
  };
}

import { defineAuditEvent } from './audit-event.definition';
import { auditRow, auditRowsParam, insertAuditRowsSql } from './audit-writer';

const Thing = defineAuditEvent('thing.done', ['name', 'count']);

describe('audit rows', () => {
  it('builds the row every writer inserts: category, type, capped user agent, only the declared details', () => {
    const at = new Date('2030-01-01T00:00:00.000Z');
    const row = auditRow(Thing, {
      outcome: 'failure',
      actor: { id: null, email: 'a@b.test', role: 'org_admin', ip: '10.0.0.1', userAgent: 'x'.repeat(300) },
      partnerId: 'p',
      orgId: 'o',
      resource: { type: 'email_job', id: 'j' },
      details: { name: 'n', count: 2, password: 'hunter2' } as never,
      occurredAt: at,
    });
    expect(row).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      occurred_at: at,
      category: 'SYSTEMAUDIT',
      type: 'thing.done',
      outcome: 'failure',
      actor_type: 'user',
      actor_id: null,
      actor_name: null,
      actor_email: 'a@b.test',
      actor_role: 'org_admin',
      actor_ip: '10.0.0.1',
      actor_user_agent: 'x'.repeat(256),
      partner_id: 'p',
      org_id: 'o',
      resource_type: 'email_job',
      resource_id: 'j',
      details: { name: 'n', count: 2 },
    });
    expect(JSON.parse(auditRowsParam([row]))[0].occurred_at).toBe('2030-01-01T00:00:00.000Z');
  });

  it('inserts rows from one JSON parameter, naming every column of the row once, with an optional filter', () => {
    const sql = insertAuditRowsSql('$5', 'a.resource_id IN (SELECT id::text FROM done)');
    const row = auditRow(Thing, { outcome: 'success', actor: null });
    const columns = /INSERT INTO audit_events \(([^)]*)\)/.exec(sql)![1]!.split(', ');
    expect(columns.sort()).toEqual(Object.keys(row).sort());
    expect(sql).toContain(
      'jsonb_populate_recordset(NULL::audit_events, $5::jsonb) AS a WHERE a.resource_id IN (SELECT id::text FROM done)',
    );
    expect(insertAuditRowsSql('$1')).not.toContain('WHERE');
  });
});

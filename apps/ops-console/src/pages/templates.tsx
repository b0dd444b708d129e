/**
 * Email templates of one scope (the partner, or one of its organizations): every kind with the level
 * that supplies it now (built-in, partner, organization) and the scope's own override, and the
 * branding's source. A kind's editor is /templates/<kind>, the branding /templates/branding.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import type { PageProps } from '../app';
import { SourceBadge } from '../components/source-badge';
import { ChoosePartnerFirst, OrgRuleNotice, ScopePicker, useTemplateScope } from '../components/template-scope';
import { Loading, Notice, PageHeader } from '../components/ui';
import { when } from '../format';
import { kindLabel, OwnStamp, TemplateList, TEMPLATES } from '../templates';
import { BrandingPage } from './branding';
import { TemplateEditorPage } from './template-editor';

export function TemplatesPage(props: PageProps) {
  const rest = props.location.path.slice('/templates/'.length);
  if (!props.location.path.startsWith('/templates/') || !rest) return <TemplateListPage {...props} />;
  if (rest === 'branding') return <BrandingPage {...props} />;
  return <TemplateEditorPage {...props} kind={decodeURIComponent(rest)} />;
}

function OwnCell(props: { own: OwnStamp | null; scopeWord: string }) {
  if (!props.own) return <span class="muted">None</span>;
  const o = props.own;
  return (
    <span>
      Version {o.version}
      {o.in_effect ? '' : ', not in effect'}
      <span class="muted small">
        {' '}
        — {when(o.updated_at)}
        {o.updated_by ? ` by ${o.updated_by}` : ''}
      </span>
      <span class="visually-hidden"> ({props.scopeWord}’s own override)</span>
    </span>
  );
}

function TemplateListPage({ session, location }: PageProps) {
  const { me } = session;
  const t = useTemplateScope(me, location);
  const [list, setList] = useState<TemplateList | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!t.scope.partnerId && !t.scope.orgId) return;
    let cancelled = false;
    setList(null);
    setError(null);
    api<TemplateList>('GET', TEMPLATES, { query: t.query }).then(
      (res) => !cancelled && setList(res.data),
      (e: unknown) => !cancelled && setError(messageOf(e)),
    );
    return () => {
      cancelled = true;
    };
  }, [t.key]);

  if (!t.scope.partnerId && !t.scope.orgId) return <ChoosePartnerFirst title="Email templates" />;
  const scopeWord = t.scope.orgId ? 'organization' : 'partner';

  return (
    <>
      <PageHeader title={t.scope.orgId ? `Email templates: ${t.org?.name ?? 'organization'}` : 'Email templates: partner'}>
        <ScopePicker me={me} t={t} path="/templates" />
      </PageHeader>
      <p class="lead">
        Every system email is rendered from a template of its kind. The organization’s own template applies first, then the partner’s, then
        the built-in one.
      </p>
      <OrgRuleNotice me={me} org={t.org} what="templates and branding" />
      {error ? <Notice kind="error">{error}</Notice> : null}
      {!list && !error ? <Loading what="the templates" /> : null}
      {list ? (
        <>
          <div class="table-wrap" role="region" aria-labelledby="kinds-title" tabIndex={0}>
            <table class="table">
              <caption id="kinds-title" class="visually-hidden">
                Template kinds
              </caption>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">In effect now</th>
                  <th scope="col">This {scopeWord}’s own</th>
                </tr>
              </thead>
              <tbody>
                {list.templates.map((k) => (
                  <tr key={k.kind} data-kind={k.kind}>
                    <th scope="row">
                      <a href={t.link(`/templates/${k.kind}`)}>{kindLabel(k.kind)}</a>
                      <div class="muted small">{k.description}</div>
                    </th>
                    <td>
                      <SourceBadge source={k.source} testId={`source-${k.kind}`} />
                    </td>
                    <td data-testid={`own-${k.kind}`} data-own={k.own ? 'yes' : 'no'}>
                      <OwnCell own={k.own} scopeWord={scopeWord} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <section class="card" aria-labelledby="branding-title">
            <h2 id="branding-title">Branding</h2>
            <p class="hint">Product name, logo, support address and footer, seen by every kind as brand.*.</p>
            <dl class="status-list">
              <div>
                <dt>In effect now</dt>
                <dd>
                  <SourceBadge source={list.branding.source} testId="source-branding" />
                </dd>
              </div>
              <div>
                <dt>This {scopeWord}’s own</dt>
                <dd data-testid="own-branding">
                  <OwnCell own={list.branding.own} scopeWord={scopeWord} />
                </dd>
              </div>
            </dl>
            <p>
              <a href={t.link('/templates/branding')}>Edit branding</a>
            </p>
          </section>
        </>
      ) : null}
    </>
  );
}

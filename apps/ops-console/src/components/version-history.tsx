/**
 * The history of one route's profile: every saved version with its state, and the one action each
 * state allows (activate a draft, put a superseded version back). Activation is guarded by the ETag of
 * the version in force, so a history read before someone else's save cannot silently undo it.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { when } from '../format';
import type { ProfileView } from '../smtp-form';
import { Loading, Notice } from './ui';

export type ProfileRoute = 'primary' | 'secondary';
export type VersionState = 'active' | 'draft' | 'superseded';

export interface VersionSummary {
  version: number;
  route: ProfileRoute;
  state: VersionState;
  based_on_version: number | null;
  changed_fields: string[];
  activated_at: string | null;
  created_at: string;
  created_by: { id: string; email: string; type: string };
  host: string;
  port: number;
}

const STATE_LABELS: Record<VersionState, string> = { active: 'In force', draft: 'Draft', superseded: 'Superseded' };
const STATE_BADGES: Record<VersionState, string> = { active: 'badge--ok', draft: 'badge--neutral', superseded: 'badge--neutral' };

export interface Activated {
  profile: ProfileView;
  etag: string | null;
}

interface Props {
  path: string;
  query: Record<string, string | undefined>;
  /** The ETag of the version in force (null when none is, undefined while it is read): the activation's precondition. */
  etag: string | null | undefined;
  /** Changes whenever the profile in force may have changed, so the list is read again. */
  refreshKey: string;
  mayModify: boolean;
  onActivated: (result: Activated) => void;
  /** The profile changed meanwhile (412): the page reloads what is in force. */
  onConflict: () => void;
}

export function VersionHistory({ path, query, etag, refreshKey, mayModify, onActivated, onConflict }: Props) {
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const [notice, setNotice] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setVersions(null);
    api<{ versions: VersionSummary[] }>('GET', `${path}/versions`, { query })
      .then((res) => !cancelled && setVersions(res.data.versions))
      .catch((e: unknown) => {
        if (cancelled) return;
        setVersions([]);
        setNotice({ kind: 'error', text: messageOf(e) });
      });
    return () => {
      cancelled = true;
    };
  }, [refreshKey, reloads]);

  const activate = async (v: VersionSummary) => {
    setBusy(v.version);
    setNotice(null);
    try {
      const res = await api<ProfileView>('POST', `${path}/versions/${v.version}/activate`, {
        query,
        headers: etag ? { 'if-match': etag } : { 'if-none-match': '*' },
      });
      setNotice({
        kind: 'success',
        text: v.state === 'draft' ? `Version ${v.version} is in force now.` : `Rolled back: version ${v.version} is in force again.`,
      });
      onActivated({ profile: res.data, etag: res.etag });
    } catch (e) {
      setNotice({ kind: 'error', text: messageOf(e) });
      if (e instanceof ApiError && e.status === 412) {
        onConflict();
        setReloads((n) => n + 1);
      }
    } finally {
      setBusy(null);
    }
  };

  return (
    <section class="card history-card" aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <div aria-live="polite">{notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}</div>
      {versions === null ? (
        <Loading what="the versions" />
      ) : versions.length === 0 ? (
        <p class="muted">No saved versions yet.</p>
      ) : (
        <div class="table-wrap" role="region" aria-label="Versions" tabIndex={0}>
          <table class="table">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">State</th>
                <th scope="col">Saved</th>
                <th scope="col">Changed</th>
                <th scope="col">Server</th>
                {mayModify ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {versions.map((v) => (
                <tr key={v.version} data-version={v.version} data-state={v.state}>
                  <th scope="row">{v.version}</th>
                  <td>
                    <span class={`badge ${STATE_BADGES[v.state]}`}>{STATE_LABELS[v.state]}</span>
                  </td>
                  <td>
                    <time dateTime={v.created_at}>{when(v.created_at)}</time>
                    <br />
                    <span class="muted small">{v.created_by.email}</span>
                  </td>
                  <td>{v.changed_fields.length > 0 ? v.changed_fields.join(', ') : '—'}</td>
                  <td class="mono small">{`${v.host}:${v.port}`}</td>
                  {mayModify ? (
                    <td>
                      {v.state === 'active' ? null : (
                        <button
                          type="button"
                          class="button button--small"
                          disabled={busy !== null || etag === undefined}
                          onClick={() => void activate(v)}
                        >
                          {v.state === 'draft' ? 'Activate' : 'Roll back to this version'}
                          <span class="visually-hidden">{` (version ${v.version})`}</span>
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * What a versioned editor page shows around its form: which level is in effect and the scope's own
 * version, the conflict after someone else's write, and the form's Save, Discard and Delete buttons.
 * `what` names the resource in their texts ("branding", "template").
 */
import { when } from '../format';
import { BrandingSourceLevel, OwnStamp, TemplateSourceLevel } from '../templates';
import { SourceBadge } from './source-badge';
import { Notice } from './ui';

export function InEffectCard(props: {
  what: string;
  source: TemplateSourceLevel | BrandingSourceLevel;
  own: OwnStamp | null;
  scopeName: string;
  /** Said when the scope has no own version. */
  none: string;
}) {
  const { own } = props;
  return (
    <section class="card status-card" aria-labelledby="state-title">
      <h2 id="state-title" class="visually-hidden">
        In effect now
      </h2>
      <dl class="status-list">
        <div>
          <dt>In effect now for {props.scopeName}</dt>
          <dd>
            <SourceBadge source={props.source} testId="in-effect" />
          </dd>
        </div>
        <div>
          <dt>{`Own ${props.what}`}</dt>
          <dd data-testid={`own-${props.what}`}>
            {own
              ? `Version ${own.version}, saved ${when(own.updated_at)}${own.updated_by ? ` by ${own.updated_by}` : ''}${own.in_effect ? '' : '; not in effect'}`
              : props.none}
          </dd>
        </div>
      </dl>
    </section>
  );
}

/** After a 412: the version now saved (or that it is gone), and a reload that drops the edits. */
export function ConflictNotice(props: { what: string; conflict: { own: OwnStamp | null } | 'deleted'; onReload: () => void }) {
  const { conflict } = props;
  return (
    <Notice kind="warning" id="conflict">
      <p>
        <strong>{`Someone else changed this ${props.what} while you were editing.`}</strong>{' '}
        {conflict === 'deleted'
          ? 'It has been deleted meanwhile.'
          : `It is now version ${conflict.own?.version}, saved${conflict.own?.updated_by ? ` by ${conflict.own.updated_by}` : ''} at ${when(conflict.own?.updated_at)}.`}{' '}
        Your changes were not saved.
      </p>
      <button type="button" class="button" onClick={props.onReload}>
        {`Reload the current ${props.what} (discards your edits)`}
      </button>
    </Notice>
  );
}

/** The form's buttons for whoever may change it; the others read `readOnly` instead. */
export function EditorActions(props: {
  what: string;
  mayModify: boolean;
  readOnly: string;
  /** The page's useVersionedEditor. */
  editor: {
    loaded: { view: { own: OwnStamp | null } } | null;
    busy: 'save' | 'delete' | null;
    discard: () => void;
    setConfirmDelete: (open: boolean) => void;
  };
}) {
  if (!props.mayModify) return <p class="muted">{props.readOnly}</p>;
  const { editor } = props;
  const idle = editor.busy === null;
  return (
    <div class="actions actions--footer">
      <button type="submit" class="button button--primary" disabled={!idle}>
        {editor.busy === 'save' ? 'Saving…' : `Save ${props.what}`}
      </button>
      <button type="button" class="button" disabled={!idle} onClick={editor.discard}>
        Discard changes
      </button>
      {editor.loaded?.view.own ? (
        <button type="button" class="button button--danger" disabled={!idle} onClick={() => editor.setConfirmDelete(true)}>
          {`Delete own ${props.what}…`}
        </button>
      ) : null}
    </div>
  );
}

/** Small shared pieces: page header, notices, badges, the on/off switch and a confirmation dialog. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function PageHeader(props: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1 id="page-title" tabIndex={-1}>
        {props.title}
      </h1>
      {props.children ? <div class="page-header__aside">{props.children}</div> : null}
    </div>
  );
}

/** role=alert for errors (announced at once), role=status for the rest. */
export function Notice(props: { kind: 'error' | 'success' | 'info' | 'warning'; children: ComponentChildren; id?: string }) {
  return (
    <div id={props.id} class={`notice notice--${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export type Level = 'org' | 'partner' | 'controller' | 'none';

export const LEVEL_LABELS: Record<Level, string> = {
  org: 'Organization',
  partner: 'Partner',
  controller: 'Controller default',
  none: 'None',
};

export function LevelBadge(props: { level: Level; testId?: string }) {
  return (
    <span class={`badge badge--level-${props.level}`} data-testid={props.testId} data-level={props.level}>
      {LEVEL_LABELS[props.level]}
    </span>
  );
}

export function Switch(props: { id: string; checked: boolean; label: string; disabled?: boolean; busy?: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      role="switch"
      id={props.id}
      class="switch"
      aria-checked={props.checked ? 'true' : 'false'}
      aria-label={props.label}
      aria-busy={props.busy ? 'true' : undefined}
      disabled={props.disabled || props.busy}
      onClick={props.onToggle}
    >
      <span class="switch__track" aria-hidden="true">
        <span class="switch__thumb" />
      </span>
      <span class="switch__text">{props.checked ? 'On' : 'Off'}</span>
    </button>
  );
}

/** A modal confirmation on the native <dialog> (focus trapped, Escape cancels). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog
      ref={ref}
      class="dialog"
      aria-labelledby="dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        props.onCancel();
      }}
    >
      <h2 id="dialog-title">{props.title}</h2>
      <div class="dialog__body">{props.children}</div>
      <div class="actions">
        <button type="button" class="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class={`button ${props.danger ? 'button--danger' : 'button--primary'}`} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function Loading(props: { what?: string }) {
  return (
    <p class="loading" role="status">
      Loading{props.what ? ` ${props.what}` : ''}…
    </p>
  );
}

/**
 * A write-only secret (password, OAuth2 client secret, client key). The page never holds a stored
 * secret, only whether one is set: it shows "Set" with a Replace action. When a field the secret is
 * bound to changes (host, port, username, TLS mode…), the stored secret would not follow the profile to
 * the new destination, so the field asks for it again before the API would refuse the save.
 */
import { useEffect, useRef } from 'preact/hooks';
import { fieldId } from './fields';

export interface SecretState {
  /** The user chose to type a new value (or must). */
  replacing: boolean;
  value: string;
}

export const keepSecret = (): SecretState => ({ replacing: false, value: '' });

export function SecretField(props: {
  name: string;
  label: string;
  isSet: boolean;
  state: SecretState;
  onChange: (state: SecretState) => void;
  /** Why a new value is needed now (a bound field changed), or null. */
  requiredBecause: string | null;
  error?: string;
  multiline?: boolean;
  hint?: string;
}) {
  const id = fieldId(props.name);
  const input = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const editing = !props.isSet || props.state.replacing || props.requiredBecause !== null;
  const focusNext = useRef(false);
  useEffect(() => {
    if (focusNext.current && editing) input.current?.focus();
    focusNext.current = false;
  }, [editing]);

  if (!editing) {
    return (
      <div class="field field--secret">
        <span class="label" id={`${id}-label`}>
          {props.label}
        </span>
        <div class="secret-set">
          <span class="badge badge--ok" id={`${id}-state`}>
            Set
          </span>
          <span class="hint">stored encrypted; never shown</span>
          <button
            type="button"
            class="button button--small"
            aria-describedby={`${id}-label ${id}-state`}
            onClick={() => {
              focusNext.current = true;
              props.onChange({ replacing: true, value: '' });
            }}
          >
            Replace {props.label.toLowerCase()}
          </button>
        </div>
        {props.error ? (
          <p class="field-error" id={`${id}-error`}>
            {props.error}
          </p>
        ) : null}
      </div>
    );
  }

  const hintId = `${id}-hint`;
  const errorId = props.error ? `${id}-error` : undefined;
  const required = props.requiredBecause !== null;
  const common = {
    id,
    name: props.name,
    value: props.state.value,
    required,
    autoComplete: 'new-password',
    spellcheck: false,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': [errorId, hintId].filter(Boolean).join(' '),
  };
  const onInput = (e: Event) => props.onChange({ replacing: true, value: (e.target as HTMLInputElement).value });
  return (
    <div class={`field field--secret${props.error ? ' field--invalid' : ''}`}>
      <label for={id}>
        {props.label}
        {required ? <span class="required"> (required)</span> : null}
      </label>
      {props.multiline ? (
        <textarea {...common} ref={input} rows={4} class="mono" onInput={onInput} />
      ) : (
        <input {...common} ref={input} type="password" onInput={onInput} />
      )}
      {props.error ? (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
      <p class="hint" id={hintId}>
        {props.requiredBecause ??
          props.hint ??
          (props.isSet ? 'Leave empty to keep the stored value.' : 'Write-only: it is never shown again.')}
      </p>
      {props.isSet && props.requiredBecause === null ? (
        <button type="button" class="button button--small button--quiet" onClick={() => props.onChange(keepSecret())}>
          Keep the stored {props.label.toLowerCase()}
        </button>
      ) : null}
    </div>
  );
}

/**
 * Form fields with their label, hint and error wired for assistive technology: the error sits next to
 * the field, is announced, and marks the input invalid. Ids derive from the field name.
 */
import type { ComponentChildren } from 'preact';

export const fieldId = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

interface FieldShellProps {
  name: string;
  label: string;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ComponentChildren;
}

export function FieldShell({ name, label, hint, error, required, children }: FieldShellProps) {
  const id = fieldId(name);
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field--invalid' : ''}`}>
      <label for={id}>
        {label}
        {required ? <span class="required"> (required)</span> : null}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {error ? (
        <p class="field-error" id={errorId}>
          {error}
        </p>
      ) : null}
      {hint ? (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

type InputProps = {
  type?: 'text' | 'email' | 'password' | 'url' | 'datetime-local';
  autoComplete?: string;
  inputMode?: 'numeric' | 'text' | 'email' | 'url';
  spellcheck?: boolean;
  class?: string;
  disabled?: boolean;
  required?: boolean;
  placeholder?: string;
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string;
};

export function TextField({ name, label, value, onValue, hint, error, required, ...rest }: InputProps) {
  return (
    <FieldShell name={name} label={label} hint={hint} error={error} required={Boolean(required)}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          name={name}
          // Preact types <input> as a union keyed on `type`; the runtime takes any of ours.
          type={(rest.type ?? 'text') as 'text'}
          value={value}
          required={Boolean(required)}
          disabled={rest.disabled}
          placeholder={rest.placeholder}
          autoComplete={rest.autoComplete}
          inputMode={rest.inputMode}
          spellcheck={rest.spellcheck}
          class={rest.class}
          aria-invalid={invalid ? 'true' : undefined}
          aria-describedby={describedBy}
          onInput={(e) => onValue((e.target as HTMLInputElement).value)}
        />
      )}
    </FieldShell>
  );
}

export function SelectField<T extends string>(props: {
  name: string;
  label: string;
  value: T;
  options: readonly { value: T; label: string }[];
  onValue: (value: T) => void;
  hint?: ComponentChildren;
  error?: string;
  disabled?: boolean;
}) {
  return (
    <FieldShell name={props.name} label={props.label} hint={props.hint} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          name={props.name}
          value={props.value}
          disabled={props.disabled}
          aria-invalid={invalid ? 'true' : undefined}
          aria-describedby={describedBy}
          onChange={(e) => props.onValue((e.target as HTMLSelectElement).value as T)}
        >
          {props.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </FieldShell>
  );
}

export function CheckboxField(props: {
  name: string;
  label: string;
  checked: boolean;
  onValue: (checked: boolean) => void;
  hint?: ComponentChildren;
  error?: string;
  disabled?: boolean;
}) {
  const id = fieldId(props.name);
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  return (
    <div class={`field field--check${props.error ? ' field--invalid' : ''}`}>
      <input
        type="checkbox"
        id={id}
        name={props.name}
        checked={props.checked}
        disabled={props.disabled}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={[errorId, hintId].filter(Boolean).join(' ') || undefined}
        onChange={(e) => props.onValue((e.target as HTMLInputElement).checked)}
      />
      <label for={id}>{props.label}</label>
      {props.error ? (
        <p class="field-error" id={errorId}>
          {props.error}
        </p>
      ) : null}
      {props.hint ? (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      ) : null}
    </div>
  );
}

/** A multi-line text field (template parts, JSON data, a footer, a PEM) with its label, hint and error like the others. */
export function TextAreaField(props: {
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
  mono?: boolean;
  /** As wide as the form allows (default); off for a field that keeps the inputs' width. */
  wide?: boolean;
  placeholder?: string;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
  disabled?: boolean;
  /** Shown under the text area, inside the field (e.g. a file picker). */
  children?: ComponentChildren;
}) {
  const classes = [props.mono ? 'mono' : '', props.wide === false ? '' : 'textarea-wide'].filter(Boolean).join(' ');
  return (
    <FieldShell name={props.name} label={props.label} hint={props.hint} error={props.error} required={props.required}>
      {({ id, describedBy, invalid }) => (
        <>
          <textarea
            id={id}
            name={props.name}
            rows={props.rows ?? 6}
            spellcheck={false}
            class={classes || undefined}
            placeholder={props.placeholder}
            value={props.value}
            required={props.required}
            disabled={props.disabled}
            aria-invalid={invalid ? 'true' : undefined}
            aria-describedby={describedBy}
            onInput={(e) => props.onValue((e.target as HTMLTextAreaElement).value)}
          />
          {props.children}
        </>
      )}
    </FieldShell>
  );
}

/** A PEM text area with a file picker that reads the chosen file as text (nothing is uploaded until Save). */
export function PemField(props: {
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  hint?: ComponentChildren;
  error?: string;
  placeholder?: string;
}) {
  const readFile = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (file) props.onValue(await file.text());
    input.value = '';
  };
  const fileId = `${fieldId(props.name)}-file`;
  return (
    <TextAreaField
      name={props.name}
      label={props.label}
      hint={props.hint}
      error={props.error}
      value={props.value}
      onValue={props.onValue}
      rows={4}
      mono
      wide={false}
      placeholder={props.placeholder ?? '-----BEGIN CERTIFICATE-----'}
    >
      <div class="file-row">
        <input
          class="visually-hidden-file"
          type="file"
          id={fileId}
          accept=".pem,.crt,.cer,.txt"
          aria-label={`${props.label}: load from a file`}
          onChange={(e) => void readFile(e)}
        />
        <label class="button button--small" for={fileId}>
          Load from file…
        </label>
        {props.value ? (
          <button type="button" class="button button--small button--quiet" onClick={() => props.onValue('')}>
            Clear
          </button>
        ) : null}
      </div>
    </TextAreaField>
  );
}

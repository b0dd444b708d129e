/** A multi-line text field (template parts, JSON data, a footer) with its label, hint and error like the other fields. */
import type { ComponentChildren } from 'preact';
import { FieldShell } from './fields';

export function TextAreaField(props: {
  name: string;
  label: string;
  value: string;
  onValue: (value: string) => void;
  rows?: number;
  mono?: boolean;
  hint?: ComponentChildren;
  error?: string;
  required?: boolean;
  disabled?: boolean;
}) {
  return (
    <FieldShell name={props.name} label={props.label} hint={props.hint} error={props.error} required={props.required}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          name={props.name}
          rows={props.rows ?? 6}
          spellcheck={false}
          class={props.mono ? 'mono textarea-wide' : 'textarea-wide'}
          value={props.value}
          required={props.required}
          disabled={props.disabled}
          aria-invalid={invalid ? 'true' : undefined}
          aria-describedby={describedBy}
          onInput={(e) => props.onValue((e.target as HTMLTextAreaElement).value)}
        />
      )}
    </FieldShell>
  );
}

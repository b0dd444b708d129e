/**
 * Checks the data handed to a template against its kind's declared variables, before anything is
 * rendered: a missing or mistyped variable is the sender's mistake and is refused naming the field,
 * never rendered as an empty link. Links must be absolute http(s) URLs without credentials, so a
 * `javascript:` or `data:` URL can never become a button in an email.
 */
import { FieldError, fieldError } from '@mailstrata/common';
import { BRAND_VARIABLE, KIND_DEFINITIONS, TemplateKind, VariableType } from './kinds';

const MAX_CHARS: Record<VariableType, number> = {
  string: 1_000,
  email: 254,
  url: 2_048,
  text: 100_000,
  html: 256 * 1024,
  number: 0,
};

const LINE_BREAK = /[\r\n]/;
// Other C0 controls and DEL have no place in a mail body; tab, CR and LF do in text.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+$/;

export type TemplateData = Record<string, string | number>;

/** An absolute http(s) URL with a host and no user:password part. */
export function isSafeLink(value: string): boolean {
  if (LINE_BREAK.test(value) || CONTROL.test(value) || /\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '' && url.username === '' && url.password === '';
}

function check(type: VariableType, value: unknown): { rule: string; message: string } | null {
  if (type === 'number') {
    return typeof value === 'number' && Number.isFinite(value) ? null : { rule: 'isNumber', message: 'must be a finite number' };
  }
  if (typeof value !== 'string') return { rule: 'isString', message: 'must be a string' };
  if (value.length > MAX_CHARS[type]) return { rule: 'maxLength', message: `must be at most ${MAX_CHARS[type]} characters` };
  if (CONTROL.test(value)) return { rule: 'no_control_characters', message: 'must not contain control characters' };
  if ((type === 'string' || type === 'url' || type === 'email') && LINE_BREAK.test(value)) {
    return { rule: 'no_line_breaks', message: 'must not contain CR or LF characters' };
  }
  if (type === 'url' && !isSafeLink(value)) return { rule: 'isUrl', message: 'must be an absolute http or https URL without credentials' };
  if (type === 'email' && !ADDRESS.test(value)) return { rule: 'isEmail', message: 'must be one email address' };
  return null;
}

/**
 * Validates `data` for `kind`; answers the field errors (`<path>.<variable>`), empty when it is valid.
 * Unknown variables are refused too: a typo would otherwise render as nothing.
 */
export function checkTemplateData(kind: TemplateKind, data: unknown, path = 'data'): FieldError[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [fieldError(path, 'isObject', 'must be an object')];
  const spec = KIND_DEFINITIONS[kind].variables;
  const errors: FieldError[] = [];
  for (const [name, variable] of Object.entries(spec)) {
    const value: unknown = Object.prototype.hasOwnProperty.call(data, name) ? (data as Record<string, unknown>)[name] : undefined;
    if (value === undefined || value === null) {
      if (variable.required) errors.push(fieldError(`${path}.${name}`, 'required', `is required by the ${kind} template`));
      continue;
    }
    const problem = check(variable.type, value);
    if (problem) errors.push(fieldError(`${path}.${name}`, problem.rule, problem.message));
  }
  for (const name of Object.keys(data)) {
    if (!Object.prototype.hasOwnProperty.call(spec, name)) {
      const known = Object.keys(spec).join(', ');
      errors.push(fieldError(`${path}.${name}`, 'unknown_variable', `is not a variable of ${kind} (it takes: ${known})`));
    }
  }
  return errors;
}

/** A fresh null-prototype copy holding only the declared variables: nothing inherited reaches a template. */
export function templateScopeOf(kind: TemplateKind, data: Record<string, unknown>, brand: Record<string, string | null>): object {
  const scope = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(KIND_DEFINITIONS[kind].variables)) {
    const value = data[name];
    if (value !== undefined && value !== null) scope[name] = value;
  }
  scope[BRAND_VARIABLE] = Object.assign(Object.create(null) as object, brand);
  return scope;
}

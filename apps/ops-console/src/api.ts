/**
 * The console's only way to the service: same-origin fetches with the rsid session cookie (HttpOnly,
 * never visible here). Errors come back as the API's problem documents, kept whole so pages can show
 * `errors[].field` next to the field and a failed test's stage, reply and hint.
 */
export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
}

export interface Problem {
  status: number;
  code: string;
  title?: string;
  detail: string;
  errors?: FieldProblem[];
  correlation_id?: string;
  stage?: string | null;
  smtp_code?: number | null;
  smtp_response?: string | null;
  hint?: string;
  transient?: boolean;
  [extension: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail || problem.code);
    this.name = 'ApiError';
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

export interface ApiResponse<T> {
  status: number;
  data: T;
  etag: string | null;
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called when the session is gone (401 on any request but sign-in). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined | null>;
}

export function withQuery(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function api<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json', ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(withQuery(path, options.query), { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError({ status: 0, code: 'NETWORK', detail: 'The service did not answer. Check your connection and try again.' });
  }
  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const problem: Problem =
      data && typeof data === 'object' && 'code' in data
        ? (data as Problem)
        : { status: response.status, code: `HTTP_${response.status}`, detail: response.statusText || 'The request failed.' };
    problem.status ??= response.status;
    if (response.status === 401 && path !== '/auth/v1/login') for (const listener of signedOutListeners) listener();
    throw new ApiError(problem);
  }
  return { status: response.status, data: data as T, etag: response.headers.get('etag') };
}

export const get = <T>(path: string, query?: RequestOptions['query']) => api<T>('GET', path, { query });

/** A problem's field errors keyed by field path, with a prefix (e.g. `email_config.smtp_config.`) removed. */
export function fieldErrors(error: unknown, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const e of error.problem.errors ?? []) {
    const field = e.field.startsWith(prefix) ? e.field.slice(prefix.length) : e.field;
    out[field] ??= e.message;
  }
  return out;
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail || error.problem.code;
  return error instanceof Error ? error.message : String(error);
}

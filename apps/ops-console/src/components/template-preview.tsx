/**
 * Renders a kind without sending (POST …/:kind/preview): the unsaved form the page hands over, with the
 * kind's sample data or data typed as JSON. The HTML part is shown as source: the console's
 * Content-Security-Policy (style-src 'self', img-src 'self') also governs a srcdoc frame, and email HTML
 * lives on inline styles and remote images, so a frame here would render it wrongly and report violations.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { BrandingFields, PreviewView, SOURCE_LABELS, TEMPLATES, TemplateForm, templateBodyOf, templateErrorsOf } from '../templates';
import { TextAreaField } from './fields';
import { Notice } from './ui';

interface Props {
  kind: string;
  query: Record<string, string | undefined>;
  /** The unsaved template to render; absent: the one in effect. */
  template?: TemplateForm;
  /** Unsaved branding to render with; absent: the branding in effect. */
  branding?: BrandingFields;
  /** The kind's sample data; with it, the data can be typed as JSON, starting from the sample. */
  sample?: Record<string, unknown>;
  /** The API's errors about the template's parts, for the page to show beside its fields. */
  onTemplateErrors?: (errors: Partial<Record<'subject' | 'text' | 'html', string>>) => void;
  /** Other field errors (branding), for the page to show beside its fields. */
  onError?: (error: unknown) => void;
}

export function TemplatePreview(props: Props) {
  const [mode, setMode] = useState<'sample' | 'custom'>('sample');
  const [json, setJson] = useState(() => JSON.stringify(props.sample ?? {}, null, 2));
  const [dataError, setDataError] = useState<string | undefined>(undefined);
  const [result, setResult] = useState<PreviewView | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async () => {
    let data: unknown;
    if (mode === 'custom') {
      try {
        data = JSON.parse(json);
      } catch (e) {
        setDataError(`This is not JSON: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        setDataError('The data must be one JSON object: {"variable": value, …}.');
        return;
      }
    }
    setBusy(true);
    setDataError(undefined);
    setProblem(null);
    setResult(null);
    try {
      const res = await api<PreviewView>('POST', `${TEMPLATES}/${encodeURIComponent(props.kind)}/preview`, {
        query: props.query,
        body: {
          ...(data !== undefined ? { data } : {}),
          ...(props.template ? { template: templateBodyOf(props.template) } : {}),
          ...(props.branding ? { branding: props.branding } : {}),
        },
      });
      setResult(res.data);
      props.onTemplateErrors?.({});
    } catch (e) {
      const errs = templateErrorsOf(e);
      setDataError(errs.data);
      props.onTemplateErrors?.({ subject: errs.subject, text: errs.text, html: errs.html });
      props.onError?.(e);
      setProblem(e instanceof ApiError ? `${e.problem.detail || e.code} (${e.code})` : messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p class="hint">Renders the form as it is now, saved or not. Nothing is sent.</p>
      {props.sample ? (
        <fieldset class="radios">
          <legend>Data</legend>
          <label>
            <input type="radio" name="previewMode" value="sample" checked={mode === 'sample'} onChange={() => setMode('sample')} /> The
            kind’s sample data
          </label>
          <label>
            <input type="radio" name="previewMode" value="custom" checked={mode === 'custom'} onChange={() => setMode('custom')} /> My own
            data
          </label>
        </fieldset>
      ) : null}
      {mode === 'custom' ? (
        <TextAreaField
          name="previewData"
          label="Data (JSON)"
          mono
          rows={8}
          value={json}
          onValue={(v) => {
            setJson(v);
            setDataError(undefined);
          }}
          error={dataError}
          hint="One object with the kind’s variables, e.g. a link and an address to see how they render."
        />
      ) : null}
      <button type="button" class="button" onClick={() => void run()} disabled={busy}>
        {busy ? 'Rendering…' : 'Preview'}
      </button>
      <div aria-live="polite" class="test-result">
        {problem ? (
          <Notice kind="error">
            <span data-testid="preview-problem">Not rendered: {problem}</span>
            {mode === 'sample' && dataError ? <span> {dataError}</span> : null}
          </Notice>
        ) : null}
        {result ? <PreviewResult result={result} /> : null}
      </div>
    </section>
  );
}

function PreviewResult({ result }: { result: PreviewView }) {
  return (
    <div class="result result--ok" data-testid="preview-result">
      <p class="result__title">
        Rendered from: {SOURCE_LABELS[result.source]}, with {result.sample_data ? 'the sample data' : 'your data'}.
      </p>
      <dl class="details">
        <dt>Subject</dt>
        <dd data-testid="preview-subject">{result.subject}</dd>
      </dl>
      <h3>Text</h3>
      <pre class="mail-text preview-box" data-testid="preview-text" role="region" aria-label="Rendered text" tabIndex={0}>
        {result.text}
      </pre>
      <h3>HTML (source)</h3>
      {result.html === null ? (
        <p class="muted">No HTML part: the email is text only.</p>
      ) : (
        <>
          <p class="hint">
            Shown as source: the console does not run an email’s inline styles or load its images. Send yourself an email to see it in a
            mail client.
          </p>
          <pre class="mail-text mono preview-box" data-testid="preview-html" role="region" aria-label="Rendered HTML source" tabIndex={0}>
            {result.html}
          </pre>
        </>
      )}
    </div>
  );
}

/**
 * Size and complexity limits of tenant templates. A template is stored text written by a tenant admin
 * and rendered with data handed over by other components, so both its parse and every render are
 * bounded: a template can never hold a worker's event loop or memory for long.
 */
export const TEMPLATE_LIMITS = {
  /** Largest subject template, in UTF-8 bytes. */
  subjectBytes: 2 * 1024,
  /** Largest text or HTML template, in UTF-8 bytes (per part). */
  bodyBytes: 64 * 1024,
  /** Longest rendered subject, in characters (RFC 5322's line limit). */
  renderedSubjectChars: 998,
  /** Largest rendered text or HTML part, in UTF-8 bytes. */
  renderedBodyBytes: 512 * 1024,
  /** Wall time one part may take to render, in ms (liquid's renderLimit). */
  renderMs: 100,
  /** Allocation budget of one part's render (liquid's memoryLimit: array items and string lengths created). */
  renderMemory: 2_000_000,
  /** Longest branding footer and product name. */
  footerChars: 2_000,
  productNameChars: 200,
} as const;

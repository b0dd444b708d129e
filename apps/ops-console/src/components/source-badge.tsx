/** Which level supplies a template or the branding: built-in (or none), the partner, or the organization. */
import { BrandingSourceLevel, SOURCE_LABELS, TemplateSourceLevel } from '../templates';

const CLASSES: Record<TemplateSourceLevel | BrandingSourceLevel, string> = {
  'built-in': 'badge--neutral',
  none: 'badge--neutral',
  partner: 'badge--level-partner',
  org: 'badge--level-org',
};

export function SourceBadge(props: { source: TemplateSourceLevel | BrandingSourceLevel; testId?: string }) {
  return (
    <span class={`badge ${CLASSES[props.source]}`} data-testid={props.testId} data-source={props.source}>
      {SOURCE_LABELS[props.source]}
    </span>
  );
}

/**
 * What the audit log and the delivery log filter alike: a time window (a preset, or a custom range in the
 * browser's local time) kept in the page's URL, and, for partner and controller users, one organization
 * of the partner; the form around them and the pager under the table. Each log adds its own fields.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../session';
import { listOrganizations, Organization, Scope } from '../tenants';
import { SelectField, TextField } from './fields';

export const TIME_PRESETS = [
  { value: 'now-15m', label: 'Last 15 minutes' },
  { value: 'now-1h', label: 'Last hour' },
  { value: 'now-24h', label: 'Last 24 hours' },
  { value: 'now-7d', label: 'Last 7 days' },
  { value: 'now-30d', label: 'Last 30 days' },
  { value: 'range', label: 'Custom range' },
] as const;

/** A time window as the URL keeps it: a preset (`now-24h`), or `range` with datetime-local bounds. */
export interface TimeWindow {
  time: string;
  from: string;
  to: string;
}

export function timeWindowOf(query: URLSearchParams): TimeWindow {
  return { time: query.get('time') ?? 'now-24h', from: query.get('from') ?? '', to: query.get('to') ?? '' };
}

/** datetime-local gives local wall time without a zone; the API wants ISO 8601 (UTC when no zone). */
const isoOf = (local: string) => (local ? new Date(local).toISOString() : '');

/** The window as the logs' APIs take it (Elasticsearch date math for a preset, ISO 8601 for a range). */
export function apiTimeRange(w: TimeWindow): { timefrom: string; timeto: string } {
  return w.time === 'range' ? { timefrom: isoOf(w.from), timeto: isoOf(w.to) } : { timefrom: w.time, timeto: '' };
}

/** The window as the page's URL keeps it (range bounds only with a range). */
export function timeWindowParams(w: TimeWindow): Record<string, string | null> {
  return { time: w.time, from: w.time === 'range' ? w.from : null, to: w.time === 'range' ? w.to : null };
}

export function TimeWindowFields(props: { value: TimeWindow; errors: Record<string, string>; onValue: (w: TimeWindow) => void }) {
  const { value, errors, onValue } = props;
  return (
    <>
      <SelectField
        name="time"
        label="Time"
        value={value.time}
        options={TIME_PRESETS}
        // With a range, the bounds' own fields show the error.
        error={value.time === 'range' ? undefined : errors.timefrom}
        onValue={(time) => onValue({ ...value, time })}
      />
      {value.time === 'range' ? (
        <>
          <TextField
            name="from"
            label="From"
            type="datetime-local"
            value={value.from}
            onValue={(from) => onValue({ ...value, from })}
            error={errors.timefrom}
          />
          <TextField
            name="to"
            label="To"
            type="datetime-local"
            value={value.to}
            onValue={(to) => onValue({ ...value, to })}
            error={errors.timeto}
          />
        </>
      ) : null}
    </>
  );
}

/** The organizations a partner or controller user may narrow a log to (none for org users). */
export function useFilterOrganizations(me: Me, scope: Scope): Organization[] {
  const [orgs, setOrgs] = useState<Organization[]>([]);
  useEffect(() => {
    if (!me.scope.org_id && scope.partnerId)
      listOrganizations(me.scope.level === 'controller' ? scope.partnerId : undefined).then(setOrgs, () => setOrgs([]));
  }, [scope.partnerId]);
  return orgs;
}

export function OrganizationFilterField(props: { orgs: Organization[]; value: string; onValue: (org: string) => void }) {
  return (
    <SelectField
      name="org"
      label="Organization"
      value={props.value}
      options={[{ value: '', label: 'The partner and all its organizations' }, ...props.orgs.map((o) => ({ value: o.id, label: o.name }))]}
      onValue={props.onValue}
    />
  );
}

/** The filter bar of a log: its fields, then the button that applies them. */
export function LogFilterForm(props: { onSubmit: (e: Event) => void; submitLabel: string; children: ComponentChildren }) {
  return (
    <form class="card filters" onSubmit={props.onSubmit} aria-label="Filters">
      {props.children}
      <div class="filters__submit">
        <button type="submit" class="button button--primary">
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

/** Newer/older paging under a log's table, newest first. */
export function LogPager(props: { label: string; newer: (() => void) | null; older: (() => void) | null }) {
  return (
    <nav class="pager" aria-label={props.label}>
      <button type="button" class="button" disabled={!props.newer} onClick={() => props.newer?.()}>
        Newer
      </button>
      <button type="button" class="button" disabled={!props.older} onClick={() => props.older?.()}>
        Older
      </button>
    </nav>
  );
}

// How a hosted platform's three kinds of schema look in the tree and the wizard (no `vscode` import:
// unit-tested). The engine decides the kinds; this file only words them.
import { type Catalog, type DetectedPlatform, detectPlatform, tableKind } from '../engine/index.js';
import type { PlatformTable } from '../shared/report.js';
import { displayName } from '../shared/names.js';
import type { Item } from './wizardModel.js';

/**
 * One wizard item (or a schema's separator) under the platform's rules: internals are not offered,
 * platform data is offered unselected (unless picked before), with what copying it means.
 */
export function platformTableItem<T>(catalog: Catalog, schema: string, item: Item<T>, remembered: boolean) {
  const k = tableKind(catalog.platform?.id, schema, item.separator ? '' : item.label);
  if (item.separator) {
    const internal = tableKind(catalog.platform?.id, schema, '').kind === 'platform internal';
    return internal ? [] : [k.kind === 'user' ? item : { ...item, label: `${item.label} — ${k.platform} data` }];
  }
  if (k.kind === 'platform internal') return [];
  if (k.kind === 'user') return [item];
  return [
    {
      ...item,
      description: `${item.description} · ${k.platform} data, not selected by default`,
      detail: k.note ?? undefined,
      picked: remembered ? item.picked : false,
    },
  ];
}

/** The review's line for the platform tables the rules leave out: one line, the names in its detail. */
export function platformReviewLine(tables: PlatformTable[] | undefined) {
  if (!tables?.length) return [];
  const data = tables.filter((t) => t.kind === 'platform data').length;
  const label =
    `$(circle-slash) Not copied: ${tables.length} platform table${tables.length === 1 ? '' : 's'} ` +
    `(${data} platform data, not selected; ${tables.length - data} platform internal, never copied by default)`;
  return [{ label, detail: tables.map((t) => displayName(t.schema, t.table)).join(', '), kind: 'note' as const }];
}

/** The platform a connection is on, from its host alone (before connecting) or from its catalog. */
export function platformOf(host: string, catalog?: Pick<Catalog, 'platform'> | null): DetectedPlatform | null {
  return catalog?.platform ?? detectPlatform({ host, schemas: [] });
}

/** A schema node in the tree: its kind in the description, the reason in the tooltip, internals greyed. */
export function schemaKindView(platformId: string | null | undefined, schema: string) {
  const k = tableKind(platformId, schema, '');
  if (k.kind === 'user') return null;
  const internal = k.kind === 'platform internal';
  return {
    description: internal ? `${k.platform} internal · never copied` : `${k.platform} data · not selected by default`,
    tooltip: `${schema}: ${k.platform} ${internal ? 'platform internal' : 'platform data'}. It ${internal ? '' : 'holds '}${k.note}`,
    greyed: internal,
  };
}

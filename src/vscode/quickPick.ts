// One quick pick: the building block of every multi-step flow (see multiStep.ts).
import * as vscode from 'vscode';
import { errorMessage } from './errorWords.js';
import type { Item } from './wizardModel.js';

export const BACK = Symbol('back');

interface QItem<T> extends vscode.QuickPickItem {
  value?: T;
}

export interface PickOptions<T> {
  title: string;
  step?: number;
  totalSteps?: number;
  placeholder: string;
  /** Replaces the placeholder once `load` has finished. */
  placeholderAfterLoad?: string;
  items: Item<T>[];
  canSelectMany?: boolean;
  /** Fills or refreshes the items later (busy meanwhile), e.g. after connecting. */
  load?: (setItems: (items: Item<T>[]) => void) => Promise<void>;
  /** Return false to keep the pick open (an informational row was chosen). */
  accept?: (values: (T | undefined)[]) => boolean;
  /** Shows the Back button (there is a step to go back to). */
  back?: boolean;
  /** While `asking` is true (a password prompt), hiding this pick does not cancel it: it comes back. */
  pausedBy?: { readonly asking: boolean };
  /** canSelectMany: the selection to show after the user changed it from `before` to `after`. */
  reselect?: (before: T[], after: T[]) => T[];
  /** canSelectMany: what the selection holds, shown after the title and updated as it changes. */
  summary?: (selected: T[]) => string;
}

function toQuickPickItem<T>(i: Item<T>): QItem<T> {
  if (i.separator) return { label: i.label, kind: vscode.QuickPickItemKind.Separator };
  // No alwaysShow: typing filters the rows (with 257 tables, that is how one finds them).
  const { label, description, detail, picked, value } = i;
  return { label, description, detail, picked, value };
}

const valuesOf = <T>(items: readonly QItem<T>[]) => items.map((i) => i.value as T);

/**
 * Keeps a many-pick's selection as `o.reselect` wants it and its title summing it up. Setting the
 * selection may come back as a change event: it then equals what was set and changes nothing.
 */
function trackSelection<T>(qp: vscode.QuickPick<QItem<T>>, o: PickOptions<T>) {
  let current: readonly QItem<T>[] = [];
  const show = (items: readonly QItem<T>[]) => {
    current = items;
    if (o.summary) qp.title = `${o.title}: ${o.summary(valuesOf(items))}`;
  };
  qp.onDidChangeSelection((selected) => {
    if (!qp.canSelectMany) return;
    if (!o.reselect) return show(selected);
    const wanted = new Set(o.reselect(valuesOf(current), valuesOf(selected)));
    const next = qp.items.filter((i) => i.value !== undefined && wanted.has(i.value));
    const same = next.length === selected.length && next.every((i) => selected.includes(i));
    if (!same) qp.selectedItems = next;
    show(next);
  });
  return show;
}

/** One quick-pick step with an optional Back button, a step counter and async loading. */
export function pick<T>(o: PickOptions<T>): Promise<T[] | typeof BACK | undefined> {
  const qp = vscode.window.createQuickPick<QItem<T>>();
  qp.title = o.title;
  qp.step = o.step;
  qp.totalSteps = o.totalSteps;
  qp.placeholder = o.placeholder;
  qp.ignoreFocusOut = true;
  qp.canSelectMany = o.canSelectMany ?? false;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.buttons = o.back ? [vscode.QuickInputButtons.Back] : [];
  const showSelection = trackSelection(qp, o);
  const setItems = (items: Item<T>[]) => {
    const qitems = items.map(toQuickPickItem);
    const active = qp.activeItems[0]?.label;
    qp.items = qitems;
    if (qp.canSelectMany) {
      qp.selectedItems = qitems.filter((i) => i.picked);
      showSelection(qp.selectedItems);
    }
    // The row the user was on stays active; else the row the step marks as the safe default.
    const keep = qitems.find((i) => i.label === active) ?? qitems[items.findIndex((i) => i.active)];
    if (keep) qp.activeItems = [keep];
  };
  setItems(o.items);
  return new Promise<T[] | typeof BACK | undefined>((resolve) => {
    qp.onDidTriggerButton((b) => {
      if (b === vscode.QuickInputButtons.Back) resolve(BACK);
    });
    qp.onDidAccept(() => {
      const chosen = qp.canSelectMany ? qp.selectedItems : qp.activeItems;
      if (!qp.canSelectMany && chosen.length === 0) return;
      const values = chosen.map((i) => i.value);
      if (o.accept && !o.accept(values)) return;
      resolve(values.filter((v): v is T => v !== undefined));
    });
    let hiddenForPassword = false;
    let loading = false;
    qp.onDidHide(() => {
      // A password prompt (one quick input at a time) hides this pick: show it again afterwards.
      if (loading && o.pausedBy?.asking) hiddenForPassword = true;
      else resolve(undefined);
    });
    qp.show();
    if (o.load) {
      loading = true;
      qp.busy = true;
      // A loader that fails says so in the list: an empty or stale pick would hide why.
      o.load(setItems)
        .catch((e: unknown) => setItems([{ label: `$(error) ${errorMessage(e)}` }]))
        .finally(() => {
          qp.busy = false;
          loading = false;
          if (hiddenForPassword) qp.show();
          if (o.placeholderAfterLoad) qp.placeholder = o.placeholderAfterLoad;
        });
    }
  }).finally(() => qp.dispose());
}

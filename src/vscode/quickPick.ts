// One quick pick: the building block of every multi-step flow (see multiStep.ts).
import * as vscode from 'vscode';
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
}

function toQuickPickItem<T>(i: Item<T>): QItem<T> {
  if (i.separator) return { label: i.label, kind: vscode.QuickPickItemKind.Separator };
  const { label, description, detail, picked, value } = i;
  return { label, description, detail, picked, value, alwaysShow: true };
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
  const setItems = (items: Item<T>[]) => {
    const qitems = items.map(toQuickPickItem);
    const active = qp.activeItems[0]?.label;
    qp.items = qitems;
    if (qp.canSelectMany) qp.selectedItems = qitems.filter((i) => i.picked);
    const keep = qitems.find((i) => i.label === active);
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
      o.load(setItems)
        .catch(() => {})
        .finally(() => {
          qp.busy = false;
          loading = false;
          if (hiddenForPassword) qp.show();
          if (o.placeholderAfterLoad) qp.placeholder = o.placeholderAfterLoad;
        });
    }
  }).finally(() => qp.dispose());
}

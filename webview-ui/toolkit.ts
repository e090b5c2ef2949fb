// The only file that imports @vscode/webview-ui-toolkit (deprecated upstream, pinned at 1.4.0), so
// it can be swapped for its successor @vscode-elements/elements in one place.
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
} from '@vscode/webview-ui-toolkit';

export function registerToolkit(): void {
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDataGrid(),
    vsCodeDataGridRow(),
    vsCodeDataGridCell(),
  );
}

export const tags = {
  button: 'vscode-button',
  checkbox: 'vscode-checkbox',
  grid: 'vscode-data-grid',
  row: 'vscode-data-grid-row',
  cell: 'vscode-data-grid-cell',
} as const;

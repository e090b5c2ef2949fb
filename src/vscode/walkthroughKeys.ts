// The walkthrough's steps that complete on what the user did, not on a command merely opened: the
// context keys the extension sets when it happens (package.json's completionEvents name them). No
// `vscode` import: the manifest test reads them.
export const WALKTHROUGH_KEYS = {
  /** The review showed a plan (Migrate Database's last step, or a retry's). */
  planReviewed: 'archon.planReviewed',
  /** A migration ran to its end, whatever its outcome (a report exists). */
  migrationFinished: 'archon.migrationFinished',
  /** A report panel was opened. */
  reportOpened: 'archon.reportOpened',
} as const;

export type WalkthroughKey = (typeof WALKTHROUGH_KEYS)[keyof typeof WALKTHROUGH_KEYS];

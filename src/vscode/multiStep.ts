// Multi-step quick inputs, in the shape of vscode-extension-samples' quickinput-sample
// (multiStepInput.ts): each step is a function that shows one pick, writes the answer into the
// flow's state and returns the next step (undefined when the flow is done). Back returns to the
// step shown before, from a stack of the steps actually taken; the first step shown has no Back.
// The steps themselves: wizard.ts (Migrate Database) and compareAndCopyFlows.ts (Compare, Copy Table).
import { BACK, pick, type PickOptions } from './quickPick.js';

/** One step of a flow: shows itself through `input`, updates `state`, returns the next step. */
export type Step<S> = (input: MultiStepInput<S>, state: S) => Promise<Step<S> | undefined>;

/** Thrown by `MultiStepInput.pick` when the user closes the pick (Escape): the flow ends. */
const CANCEL = Symbol('cancel');

export class MultiStepInput<S> {
  /** The steps taken so far, the one showing last. */
  private readonly taken: Step<S>[] = [];

  private constructor(private readonly pausedBy?: { readonly asking: boolean }) {}

  /**
   * Runs the steps from `start`. True when the last step finished, false when the user cancelled.
   * `pausedBy` (the password prompts) may hide a pick for a while without cancelling it.
   */
  static async run<S>(start: Step<S>, state: S, pausedBy?: { readonly asking: boolean }): Promise<boolean> {
    const input = new MultiStepInput<S>(pausedBy);
    let step: Step<S> | undefined = start;
    while (step) {
      input.taken.push(step);
      try {
        step = await step(input, state);
      } catch (e) {
        if (e === CANCEL) return false;
        if (e !== BACK) throw e;
        input.taken.pop(); // this step
        step = input.taken.pop(); // the one before, shown again (and pushed again)
        if (!step) return false;
      }
    }
    return true;
  }

  /** Shows one pick of the current step and returns the values chosen; Back and Escape leave the step. */
  async pick<T>(o: Omit<PickOptions<T>, 'back' | 'pausedBy'>): Promise<T[]> {
    const v = await pick<T>({ ...o, back: this.taken.length > 1, pausedBy: this.pausedBy });
    if (v === undefined) throw CANCEL;
    if (v === BACK) throw BACK;
    return v;
  }
}

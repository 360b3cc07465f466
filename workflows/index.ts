/** The workflow bundle's entry: every workflow the worker registers. */
export { approvalWorkflow } from './approval';

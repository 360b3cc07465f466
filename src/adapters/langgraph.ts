/**
 * Gatehouse behind LangGraph.js's `interrupt` (`@langchain/langgraph`, an optional peer
 * dependency; import this module only where it is installed).
 *
 * Inside a node, `gatehouseInterrupt` proposes the action and interrupts the graph with the run's
 * workflow id. LangGraph re-runs the whole node on resume; the proposal id is derived from the
 * thread, the node's task and the action, so the second pass meets the same run instead of
 * starting another. After the resume the node reads the outcome from Gatehouse itself (the resume
 * value only wakes it): executed → the commit record and the params executed (a reviewer's edits
 * included); not executed → the reason.
 *
 * ```ts
 * graph.addNode('refund', async (state, config) => {
 *   const result = await gatehouseInterrupt(gatehouse, { actionType: 'payment.refund', ... }, config);
 *   return { refund: result };
 * });
 * // resumer, per paused thread:
 * const resume = await resumeWhenEnded(graph, gatehouse, config);
 * if (resume) await graph.invoke(new Command({ resume }), config);
 * ```
 */
import { interrupt, type LangGraphRunnableConfig } from '@langchain/langgraph';
import type { GatehouseClient } from '../client/gatehouse-client';
import { adapterProposalIdFor } from '../domain/ids';
import { outcomeOf } from '../domain/outcome';
import type { ProposalInput } from '../domain/proposal';
import { toolResultOf, type GatedToolResult } from './tool-result';

/** The proposal of the node's action, but for its id, which is derived from the graph's task. */
export type GatedAction = Omit<ProposalInput, 'id'>;

/** What the graph's interrupt carries: the run the node waits for. */
export interface GatehouseInterruptValue {
  gatehouse: { workflowId: string };
}

/** The node's result: the run's outcome for the model, and the params that were executed. */
export interface GatedActionResult extends GatedToolResult {
  params: Record<string, unknown>;
}

/** Thrown when the node runs without a checkpointed thread: an interrupt could never be resumed. */
export class GraphConfigError extends Error {
  override readonly name = 'GraphConfigError';
}

/**
 * Proposes `action` (once per thread and task) and pauses the graph until its run has ended;
 * returns the outcome. Call it from a node, passing the node's `config`.
 */
export async function gatehouseInterrupt(
  gatehouse: GatehouseClient,
  action: GatedAction,
  config: LangGraphRunnableConfig,
): Promise<GatedActionResult> {
  const configurable = config.configurable ?? {};
  const threadId: unknown = configurable['thread_id'];
  const taskNs: unknown = configurable['checkpoint_ns'];
  if (typeof threadId !== 'string' || typeof taskNs !== 'string')
    throw new GraphConfigError('gatehouseInterrupt needs a graph compiled with a checkpointer and invoked with configurable.thread_id');
  const proposal: ProposalInput = {
    ...action,
    id: adapterProposalIdFor('lg', [threadId, taskNs, action.actionType, action.params]),
  };
  const run = await gatehouse.propose(proposal);
  const value: GatehouseInterruptValue = { gatehouse: { workflowId: run.workflowId } };
  // Throws on the first pass (the graph pauses here); on resume, returns and the node goes on.
  interrupt(value);
  const state = await run.result();
  return { ...toolResultOf(outcomeOf(state, new Date().toISOString())), params: state.proposal.params };
}

/** The runs a paused thread waits for, read from its pending interrupts. */
export function awaitedRuns(interrupts: ReadonlyArray<{ value?: unknown }>): string[] {
  return interrupts.flatMap((i) => {
    const v = i.value as Partial<GatehouseInterruptValue> | undefined;
    return typeof v?.gatehouse?.workflowId === 'string' ? [v.gatehouse.workflowId] : [];
  });
}

/** The part of a compiled graph the resumer reads. */
export interface PausedGraph {
  getState(config: LangGraphRunnableConfig): Promise<{ tasks: ReadonlyArray<{ interrupts: ReadonlyArray<{ value?: unknown }> }> }>;
}

/** The Gatehouse runs the thread of `config` is paused on (none when it is not paused on any). */
export async function awaitedRunsOf(graph: PausedGraph, config: LangGraphRunnableConfig): Promise<string[]> {
  const snapshot = await graph.getState(config);
  return awaitedRuns(snapshot.tasks.flatMap((t) => t.interrupts));
}

/** The value a thread is resumed with: each awaited run's final status (the node reads the rest itself). */
export interface GatehouseResumeValue {
  gatehouse: Record<string, string>;
}

/**
 * Waits until every run the thread is paused on has ended and returns the value to resume it
 * with: `graph.invoke(new Command({ resume }), config)`. `undefined` when the thread waits for no
 * Gatehouse run, or `signal` aborted first.
 */
export async function resumeWhenEnded(
  graph: PausedGraph,
  gatehouse: GatehouseClient,
  config: LangGraphRunnableConfig,
  options: { signal?: AbortSignal; pollIntervalMs?: number } = {},
): Promise<GatehouseResumeValue | undefined> {
  const ids = await awaitedRunsOf(graph, config);
  if (ids.length === 0) return undefined;
  const ended: Record<string, string> = {};
  for await (const run of gatehouse.waitForOutcomes(ids, options)) {
    ended[run.workflowId] = 'outcome' in run ? run.outcome.status : 'closed';
  }
  return Object.keys(ended).length < new Set(ids).size ? undefined : { gatehouse: ended };
}

/**
 * The SDK agent services use to put actions behind an approval gate:
 *
 * ```ts
 * const gatehouse = await GatehouseClient.connect({ agentKey: process.env.GATEHOUSE_AGENT_KEY });
 * const run = await gatehouse.propose({ id: 'refund-123', actionType: 'payment.refund', ... });
 * const final = await run.result();
 * ```
 */
import {
  Client,
  Connection,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { builtInActionTypes, type ActionTypeRegistry } from '../actions/registry';
import { canonicalJson, sha256Hex } from '../domain/canonical-hash';
import { FailureType } from '../domain/errors';
import { workflowIdFor } from '../domain/ids';
import { contentSizeProblem } from '../domain/size-limits';
import type { Proposal, ProposalInput } from '../domain/proposal';
import { SearchAttributes } from '../domain/search-attributes';
import type { ApprovalState } from '../domain/state';
import { Status } from '../domain/status';
import type { approvalWorkflow } from '../../workflows/approval';
import { latestFeedback } from '../domain/standing';
import { getStateQuery, reviseUpdate, withdrawUpdate } from '../../workflows/messages';
import type { DecisionRecord } from '../domain/state';
import { RevisionSchema, WithdrawalSchema, type Revision } from '../domain/decision';
import { SignedMessageKind } from '../domain/agent-auth';
import { AgentKeyError, createAgentSigner, type AgentSigner } from './agent-signer';
import { ProposalConflictError, ReviseRefusedError, RunNotFoundError, WithdrawRefusedError } from './errors';
import { isClosedRunError, retryingUpdateTaskFailure } from './temporal-errors';
import { dataConverterFor } from '../temporal/payload-codec';
import { validateProposal } from './validate';
import { waitForOutcomes, type FinishedRun, type WaitForOutcomesOptions } from './outcomes';

export interface GatehouseClientOptions {
  /** An existing Temporal client; otherwise one is connected from `address`/`namespace`. */
  client?: Client;
  address?: string;
  namespace?: string;
  taskQueue?: string;
  /** Action types to validate params against; the built-in ones by default. */
  actionTypes?: ActionTypeRegistry;
  /** `kid:base64,…` payload keys, the same as the workers': params and evidence leave encrypted. */
  payloadKeys?: string;
  /**
   * `kid:private-key-hex` of the agent (GATEHOUSE_AGENT_KEY): proposals, withdrawals and revisions
   * are signed with it, and the worker accepts them only from a key registered for the agent.
   */
  agentKey?: string;
}

/** Per call: sign with this key instead of the client's (e.g. an operator's own key). */
export interface SigningOptions {
  /** `kid:private-key-hex`. */
  signingKey?: string;
}

function signerFor(options: SigningOptions | undefined, fallback: AgentSigner | undefined): AgentSigner {
  const signer = options?.signingKey ? createAgentSigner(options.signingKey) : fallback;
  if (!signer)
    throw new AgentKeyError('no signing key: pass agentKey to GatehouseClient.connect (GATEHOUSE_AGENT_KEY) or signingKey to this call');
  return signer;
}

/** A run started (or found) under a proposal's id, before the check that it holds that proposal. */
interface StartedRun {
  workflowId: string;
  handle: WorkflowHandle<typeof approvalWorkflow>;
  proposalHash: string;
}

/** A proposal's run: ask for its state, wait for its outcome, or withdraw it. */
export class ProposalHandle {
  constructor(
    readonly workflowId: string,
    private readonly handle: WorkflowHandle<typeof approvalWorkflow>,
    private readonly signer?: AgentSigner,
  ) {}

  /** The current state (needs a running worker to answer). */
  async status(): Promise<ApprovalState> {
    return this.handle.query(getStateQuery);
  }

  /** Waits until the run is finished and returns its final state. */
  async result(): Promise<ApprovalState> {
    return this.handle.result();
  }

  /** The latest request for changes (reviewer, round, comment), if a reviewer asked for any. */
  async feedback(): Promise<DecisionRecord | undefined> {
    return latestFeedback(await this.status());
  }

  /**
   * Submits a new version after a request for changes; a new round begins and links of the old
   * round stop working. Signed with the client's agent key (or `options.signingKey`); `by` is the
   * proposing agent, or the operator whose key signs. Refused with {@link ReviseRefusedError} when
   * no changes were requested, the new version is invalid or the signature is not `by`'s.
   */
  async revise(revision: Omit<Revision, 'credential'>, options?: SigningOptions): Promise<ApprovalState['status']> {
    // Checked here too (the workflow checks params and evidence together): an update over
    // Temporal's payload limit would fail with no word about size.
    const tooLarge = contentSizeProblem('the revision', revision.params, {});
    if (tooLarge) throw new ReviseRefusedError(tooLarge);
    const body = RevisionSchema.parse(revision);
    const credential = signerFor(options, this.signer).signMessage(this.workflowId, SignedMessageKind.revise, body);
    try {
      return await retryingUpdateTaskFailure(() => this.handle.executeUpdate(reviseUpdate, { args: [{ ...body, credential }] }));
    } catch (err) {
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === FailureType.reviseRefused
      ) {
        throw new ReviseRefusedError(err.cause.message, { cause: err });
      }
      if (isClosedRunError(err)) throw new ReviseRefusedError('cannot revise: the run has finished', { cause: err });
      throw err;
    }
  }

  /**
   * Cancels the run as an operator (the same as Cancel in the Web UI): a run that executed nothing
   * ends as withdrawn; a commit in flight finishes and is verified. Returns the final state. Use
   * this rather than terminate, which stops the run where it is, with no outcome and no audit.
   */
  async cancel(): Promise<ApprovalState> {
    await this.handle.cancel();
    return this.handle.result();
  }

  /**
   * Pulls the proposal back, signed like {@link revise}; refused with {@link WithdrawRefusedError}
   * once the commit has started, or when the signature is not `by`'s.
   */
  async withdraw(by: string, reason?: string, options?: SigningOptions): Promise<ApprovalState['status']> {
    const body = WithdrawalSchema.parse({ by, ...(reason ? { reason } : {}) });
    const credential = signerFor(options, this.signer).signMessage(this.workflowId, SignedMessageKind.withdraw, body);
    try {
      return await retryingUpdateTaskFailure(() => this.handle.executeUpdate(withdrawUpdate, { args: [{ ...body, credential }] }));
    } catch (err) {
      if (
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === FailureType.withdrawRefused
      ) {
        throw new WithdrawRefusedError(err.cause.message, { cause: err });
      }
      if (isClosedRunError(err)) throw new WithdrawRefusedError('cannot withdraw: the run has finished', { cause: err });
      throw err;
    }
  }
}

export class GatehouseClient {
  private constructor(
    readonly temporal: Client,
    private readonly taskQueue: string,
    private readonly actionTypes: ActionTypeRegistry,
    private readonly signer: AgentSigner | undefined,
  ) {}

  static async connect(options: GatehouseClientOptions = {}): Promise<GatehouseClient> {
    const client =
      options.client ??
      new Client({
        connection: await Connection.connect({ address: options.address ?? '127.0.0.1:7233' }),
        namespace: options.namespace ?? 'default',
        dataConverter: dataConverterFor(options.payloadKeys),
      });
    const signer = options.agentKey ? createAgentSigner(options.agentKey) : undefined;
    return new GatehouseClient(client, options.taskQueue ?? 'gatehouse', options.actionTypes ?? builtInActionTypes(), signer);
  }

  /**
   * Validates the proposal, signs it with the agent's key and starts its approval run. The
   * proposal id is the agent's idempotency key across action types: the same proposal sent twice
   * returns the first run; anything else under a used id (another action type, other params) is
   * refused with {@link ProposalConflictError}. Throws {@link ProposalValidationError} listing
   * every bad field, or {@link AgentKeyError} without a key, and then starts nothing.
   */
  async propose(input: ProposalInput, options?: SigningOptions): Promise<ProposalHandle> {
    const started = await this.start(input, options);
    await this.checkHolds(started);
    return new ProposalHandle(started.workflowId, started.handle, this.signer);
  }

  /**
   * {@link propose}, then the run's final state, waited for until `options.signal` aborts (then
   * without `final`). The check that a run already under the id holds this very proposal goes on
   * beside the wait instead of before it: a run that ends at once (auto-approved) is answered one
   * round trip sooner. The final state is handed over only once the check passed; a conflict
   * stops the wait and throws {@link ProposalConflictError}, as propose does.
   */
  async proposeAndWait(
    input: ProposalInput,
    options: SigningOptions & { signal: AbortSignal },
  ): Promise<{ run: ProposalHandle; final?: ApprovalState }> {
    const { signal, ...signing } = options;
    const started = await this.start(input, signing);
    const run = new ProposalHandle(started.workflowId, started.handle, this.signer);
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) stop.abort();
    try {
      const [checked, waited] = await Promise.allSettled([
        this.checkHolds(started).catch((err: unknown) => {
          stop.abort();
          throw err;
        }),
        this.temporal
          .withAbortSignal(stop.signal, () => started.handle.result())
          .catch((err: unknown) => {
            if (stop.signal.aborted) return undefined;
            throw err;
          }),
      ]);
      // The check's failure first: a run holding another proposal says nothing about this one.
      if (checked.status === 'rejected') throw checked.reason;
      if (waited.status === 'rejected') throw waited.reason;
      return waited.value ? { run, final: waited.value } : { run };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Validates, signs and starts the proposal's run, or finds the one already under its id. */
  private async start(input: ProposalInput, options?: SigningOptions): Promise<StartedRun> {
    const signer = signerFor(options, this.signer);
    const proposal = signer.signProposal(validateProposal(input, this.actionTypes));
    const workflowId = workflowIdFor(proposal);
    // Without the credential: the same proposal signed after a key rotation is still the same one.
    const { credential: _credential, ...content } = proposal;
    const proposalHash = sha256Hex(canonicalJson(content));
    try {
      await this.temporal.workflow.start('approvalWorkflow', {
        workflowId,
        taskQueue: this.taskQueue,
        args: [{ proposal }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        memo: { proposalHash },
        // Ids only: the agent's own text may repeat a redacted value, and the Web UI shows this in
        // clear to anyone with access; the state query and the decision page show the summary masked.
        staticSummary: `${proposal.actionType} · ${proposal.id} · agent ${proposal.agent.id}`,
        staticDetails: describeProposal(proposal),
        typedSearchAttributes: [
          { key: SearchAttributes.status, value: Status.proposed },
          { key: SearchAttributes.actionType, value: proposal.actionType },
          { key: SearchAttributes.agent, value: proposal.agent.id },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return { workflowId, handle: this.temporal.workflow.getHandle<typeof approvalWorkflow>(workflowId), proposalHash };
  }

  /**
   * Throws {@link ProposalConflictError} unless the run under the id holds this proposal. The start
   * cannot tell (with USE_EXISTING it answers the same for a new run and an existing one), so the
   * run's memo is read back.
   */
  private async checkHolds({ workflowId, handle, proposalHash }: StartedRun): Promise<void> {
    const description = await handle.describe();
    if (description.memo?.['proposalHash'] !== proposalHash) throw new ProposalConflictError(workflowId);
  }

  /** A handle on an existing run; throws {@link RunNotFoundError} when there is none. */
  async getProposal(workflowId: string): Promise<ProposalHandle> {
    const handle = this.temporal.workflow.getHandle<typeof approvalWorkflow>(workflowId);
    try {
      await handle.describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(workflowId, { cause: err });
      throw err;
    }
    return new ProposalHandle(workflowId, handle, this.signer);
  }

  /**
   * Yields each of the runs as it ends, in the order they end, from batched list queries (one
   * process waits for any number of runs). Ends when every run has been yielded or `signal` aborts.
   * Throws {@link OutcomeWaitError} for ids that cannot be workflow ids, before waiting.
   *
   * ```ts
   * for await (const run of gatehouse.waitForOutcomes(ids, { signal })) resume(run);
   * ```
   */
  waitForOutcomes(workflowIds: readonly string[], options?: WaitForOutcomesOptions): AsyncGenerator<FinishedRun> {
    return waitForOutcomes(this.temporal, workflowIds, options);
  }

  /** Workflow ids and statuses matching a list query, e.g. `GatehouseStatus = "awaiting_approval"`. */
  async list(query: string): Promise<{ workflowId: string; status: string; actionType: string }[]> {
    const rows: { workflowId: string; status: string; actionType: string }[] = [];
    for await (const wf of this.temporal.workflow.list({ query })) {
      rows.push({
        workflowId: wf.workflowId,
        status: String(wf.typedSearchAttributes.get(SearchAttributes.status) ?? ''),
        actionType: String(wf.typedSearchAttributes.get(SearchAttributes.actionType) ?? ''),
      });
    }
    return rows;
  }
}

function describeProposal(p: Proposal): string {
  return [`**${p.actionType}** proposed by agent \`${p.agent.id}\` for \`${p.requestedBy.id}\``, `Proposal id: \`${p.id}\``].join('\n\n');
}

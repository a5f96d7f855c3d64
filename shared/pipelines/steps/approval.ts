// `approval`: the run waits for people. The step asks with an ApprovalRequest (steps/requests.ts), which the Slack
// bot posts with its buttons and decides under the operator's policy for the run's namespace, as it does for an
// approval gate; `rollouts-cv pipeline approve` decides it without Slack. Approved: the step succeeds. Rejected, or
// nobody decided in time: the step fails as rejected, and the stage rolls back or the run stops.
import { describeEnd, statusOf } from '../../approvals/request.js';
import type { ApprovalRequestStore } from '../../approvals/store.js';
import { deployerNote, pollAfterMs, timeoutText } from '../../approvals/waiting.js';
import type { Logger } from '../../log.js';
import type { StepExecutor } from '../advance.js';
import { render } from '../template.js';
import { openRequest, pipelineRequestName } from './requests.js';

export function approvalStep(store: ApprovalRequestStore, log: Logger): StepExecutor {
  return async (step, record, context) => {
    const spec = step.approval!;
    const name = pipelineRequestName(context.run.name, 'approval', context.key);
    const startedAt = Date.parse(record.startedAt ?? context.now.toISOString());
    const request = await openRequest(store, context, step.name, name, {
      type: 'Approval',
      ...(context.stage.environment && { environment: context.stage.environment }),
      message: render(spec.message, context.scope),
      policy: { ...(spec.approvers && { approvers: spec.approvers }), minApprovals: spec.minApprovals, allowSelfApproval: spec.allowSelfApproval },
      expiresAt: new Date(startedAt + spec.timeout).toISOString(),
      onTimeout: spec.onTimeout,
    }, log);
    const status = statusOf(request);
    const outputs = { request: name };
    if (status.state === 'Pending') {
      return { phase: 'Running', message: `waiting for approval (${status.approvalsText} approvals) on ApprovalRequest ${name}; ${timeoutText(request, context.now)}${deployerNote(request)}`, recheckAfterMs: pollAfterMs(request, context.now) };
    }
    const message = `ApprovalRequest ${name} ${describeEnd(status)}`;
    if (status.outcome === 'approve') return { phase: 'Succeeded', message, outputs };
    return { phase: 'Failed', failure: 'rejected', message, outputs };
  };
}

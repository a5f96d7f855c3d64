// Manual intervention on a failed step: the run asks people (an Intervention ApprovalRequest, steps/requests.ts,
// posted by the Slack bot with its buttons, or decided with `rollouts-cv pipeline approve`) whether to retry the
// step, ignore the failure, roll the stage back or abort the run, showing what failed. Nobody in time: the
// strategy's onTimeout. A choice that stops the release (rollback, abort) is applied here on timeout; one that goes
// ahead (ignore) waits for the bot, which checks it against the operator's policy for the environment, as for a
// gate (shared/approvals/request.ts).
import { type Outcome, describeEnd, statusOf } from '../../approvals/request.js';
import type { ApprovalRequestStore } from '../../approvals/store.js';
import { deployerNote, pollAfterMs, timeoutText } from '../../approvals/waiting.js';
import type { Logger } from '../../log.js';
import type { Choice, InterventionExecutor } from '../advance.js';
import { openRequest, pipelineRequestName } from './requests.js';

const CHOICES: ReadonlySet<Outcome> = new Set<Choice>(['retry', 'ignore', 'rollback', 'abort']);

export function interventionStep(store: ApprovalRequestStore, log: Logger): InterventionExecutor {
  return async (step, record, context) => {
    const { manualIntervention, choices, now } = context;
    const name = pipelineRequestName(context.run.name, 'intervention', context.key);
    const failedAt = Date.parse(record.finishedAt ?? now.toISOString());
    const analysisRun = record.outputs?.analysisRun;
    const request = await openRequest(store, context, step.name, name, {
      type: 'Intervention',
      ...(context.stage.environment && { environment: context.stage.environment }),
      message: `Step ${step.name} of stage ${context.stage.name} failed. Retry it, ignore the failure and go on, ${choices.includes('rollback') ? 'roll the stage back, ' : ''}or abort the release?`,
      policy: { minApprovals: 1, allowSelfApproval: true },
      expiresAt: new Date(failedAt + manualIntervention.timeout).toISOString(),
      onTimeout: manualIntervention.onTimeout,
      actions: choices,
      evidence: {
        ...(record.failure === 'verification' && { verdict: 'Failed' }),
        reasons: [(record.state?.failed || 'no message').slice(0, 1000)],
        ...(analysisRun && { analysisRun }),
      },
    }, log);
    const status = statusOf(request);
    if (status.state === 'Pending') {
      return { message: `asked people on ApprovalRequest ${name}: ${timeoutText(request, now)}${deployerNote(request)}`, recheckAfterMs: pollAfterMs(request, now) };
    }
    const said = `ApprovalRequest ${name} ${describeEnd(status)}`;
    // Withdrawn (the run was cancelled meanwhile, or by hand): nobody chose to go on, so the release stops.
    const outcome = status.outcome && CHOICES.has(status.outcome) ? (status.outcome as Choice) : 'abort';
    return { choice: outcome, message: said };
  };
}

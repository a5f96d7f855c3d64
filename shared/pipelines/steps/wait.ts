// `wait`: a pause of its duration (time for people to look at a verification before the next promote). When it
// ends is kept in the step's state, so a restarted controller does not start the wait again.
import { formatDuration } from '../../config/duration.js';
import type { StepExecutor } from '../advance.js';

export const waitStep: StepExecutor = async (step, record, { now }) => {
  const duration = step.wait!.duration;
  const until = record.state?.until ?? new Date(now.getTime() + duration).toISOString();
  const left = Date.parse(until) - now.getTime();
  if (left <= 0) return { phase: 'Succeeded', message: `waited ${formatDuration(duration)}` };
  return { phase: 'Running', message: `waiting ${formatDuration(duration)}, until ${until}`, state: { until }, recheckAfterMs: left };
};

// Slack IDs as configs and annotations write them: the form is checked wherever one is read, with the same message.
import { z } from 'zod';

const got = (input: unknown) => JSON.stringify(typeof input === 'string' && input.length > 64 ? `${input.slice(0, 64)}…` : input);

/** A user ID (U… or, on Enterprise Grid, W…): at most 32 characters, as the ApprovalRequest's fields allow. */
export const slackUserId = z.string().regex(/^[UW][A-Z0-9]{2,30}$/, { error: (issue) => `expected a Slack user ID such as U0123ABCD; got ${got(issue.input)}` });
export const slackGroupId = z.string().regex(/^S[A-Z0-9]{2,30}$/, { error: (issue) => `expected a Slack user group ID such as S0123ABCD; got ${got(issue.input)}` });
export const slackChannelId = z.string().regex(/^[CGD][A-Z0-9]{2,30}$/, { error: (issue) => `expected a Slack channel ID such as C0123ABCD; got ${got(issue.input)}` });

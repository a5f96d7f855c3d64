// Who may do what: roles per Slack user (by ID or user group) per environment. Pure, and closed by default: a
// user no role names may do nothing, not even look.
import { type ApprovalRequest, describeTarget } from '../../shared/approvals/request.js';
import type { BotConfig, Permission } from '../config.js';

export interface Actor {
  userId: string;
  /** The Slack user groups the user belongs to, among those the configuration and the request mention. */
  groups: ReadonlySet<string>;
}

function named(actor: Actor, users: readonly string[], groups: readonly string[]): boolean {
  return users.includes(actor.userId) || groups.some((group) => actor.groups.has(group));
}

/** Whether a role grants `permission` to the actor in `environment` (undefined: a namespace in no environment). */
export function permits(config: BotConfig, actor: Actor, permission: Permission, environment: string | undefined): boolean {
  return config.roles.some(
    (role) =>
      role.allow.includes(permission) &&
      role.environments.some((env) => env === '*' || env === environment) &&
      named(actor, role.users, role.groups),
  );
}

/**
 * Why the actor may not decide an approval request, or undefined if they may: they need the `approve` permission
 * in the environment the operator maps the request's namespace to, and, when the gate names approvers, to be one
 * of them (a gate can narrow who decides, never widen it).
 */
export function decisionRefusal(config: BotConfig, actor: Actor, request: ApprovalRequest, environment: string): string | undefined {
  if (!permits(config, actor, 'approve', environment)) return `you are not allowed to decide requests of ${describeTarget(request, environment)}`;
  const { users = [], groups = [] } = request.spec.policy.approvers ?? {};
  if ((users.length > 0 || groups.length > 0) && !named(actor, users, groups)) {
    return `you are not among the approvers this gate names (${[...users, ...groups].join(', ')})`;
  }
  return undefined;
}

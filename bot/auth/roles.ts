// Who may do what: roles per Slack user (by ID or user group) per environment. Pure, and closed by default: a
// user no role names may do nothing, not even look.
import type { ApprovalRequest } from '../../shared/approvals/request.js';
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
 * Whether the actor may decide an approval request: the approvers the gate names, when it names any; otherwise
 * the `approve` permission in the request's environment.
 */
export function mayDecide(config: BotConfig, actor: Actor, request: ApprovalRequest, environment: string | undefined): boolean {
  const approvers = request.spec.policy.approvers;
  if (approvers && ((approvers.users?.length ?? 0) > 0 || (approvers.groups?.length ?? 0) > 0)) {
    return named(actor, approvers.users ?? [], approvers.groups ?? []);
  }
  return permits(config, actor, 'approve', environment);
}

// Entry point of the fake Slack Web API for tests and benchmarks: `FakeSlack.start()` and the types and limits
// they inspect. See server.ts (HTTP), methods.ts (the methods), limits.ts (Block Kit and rate limits), state.ts
// (workspace and journal) and socket.ts (Socket Mode).
export { FakeSlack, type FakeSlackOptions } from './server.js';
export {
  type BlockLimits,
  type BlockProblem,
  type RateLimitRule,
  type RateLimits,
  SLACK_BLOCK_LIMITS,
  SLACK_RATE_LIMITS,
  validateBlocks,
  validateView,
} from './limits.js';
export {
  type FakeChannel,
  type FakeUser,
  type FakeUsergroup,
  isOk,
  Journal,
  type JournalEntry,
  type MessageVersion,
  type StoredEphemeral,
  type StoredFile,
  type StoredMessage,
  Workspace,
  type WorkspaceOptions,
} from './state.js';
export { FakeSocketMode, type PushOptions, type SocketAck } from './socket.js';

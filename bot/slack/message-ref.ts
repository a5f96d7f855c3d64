// References to messages the bot posted (channel and ts), kept where others can write them too: the thread
// annotation on a Rollout or a PipelineRun (anyone who may annotate it) and an ApprovalRequest's status.slack (the
// engine's service account too). A reference the bot did not record would make it overwrite any of its messages, or
// post into any channel. So each carries an HMAC-SHA256 the bot computed when it posted, keyed with a key derived
// from its bot token (which only the bot has), over what the message is about — cluster, kind, namespace, name, uid,
// revision — and where it is. A reference that does not verify, or is not in the channel the bot would post to now,
// is not used. Rotating the bot token therefore makes the bot post fresh messages once.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../shared/log.js';
import { type Message, messageDigest } from './blocks.js';

export interface MessageRef {
  channel: string;
  ts: string;
}

/** What a message is about. */
export interface RefSubject {
  kind: 'rollout-thread' | 'approval-request' | 'pipeline-run-thread';
  cluster: string;
  namespace: string;
  name: string;
  uid: string;
  /** The rollout revision a thread is about. */
  revision?: string;
}

/** A reference as stored: possibly anything, written by anyone. */
export interface StoredRef {
  channel?: unknown;
  ts?: unknown;
  sig?: unknown;
}

const CONTEXT = 'rollouts-cv message reference v1';

/** The signature the bot stores with a reference it recorded. */
export function signRef(token: string, subject: RefSubject, ref: MessageRef): string {
  const key = createHmac('sha256', token).update(CONTEXT).digest();
  const fields = [subject.kind, subject.cluster, subject.namespace, subject.name, subject.uid, subject.revision ?? '', ref.channel, ref.ts];
  return createHmac('sha256', key).update(JSON.stringify(fields)).digest('base64url');
}

/**
 * The stored reference if the bot recorded it for this subject and it is in `channel` (when given), else why
 * not; undefined when nothing is stored.
 */
export function checkRef(token: string, subject: RefSubject, stored: StoredRef | undefined, channel: string | undefined): { ref: MessageRef } | { problem: string } | undefined {
  if (!stored) return undefined;
  if (typeof stored.channel !== 'string' || typeof stored.ts !== 'string' || typeof stored.sig !== 'string') return { problem: 'it has no signature of the bot' };
  const ref = { channel: stored.channel, ts: stored.ts };
  const expected = Buffer.from(signRef(token, subject, ref));
  const given = Buffer.from(stored.sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { problem: "its signature is not the bot's for this object and message" };
  if (channel && ref.channel !== channel) return { problem: `it is in channel ${ref.channel}, not ${channel} where the bot posts now` };
  return { ref };
}

/** How a log line about a reference that is not used begins. */
export const UNTRUSTED = 'ignoring a Slack message reference the bot did not record';

/** The bot token of the client that posts: the key of the references to what it posted. */
export function tokenOf(client: WebClient): string {
  if (!client.token) throw new Error('the Slack client has no token, so message references can be neither signed nor checked');
  return client.token;
}

/** A reference as the bot records it: where the message is, a digest of what it shows, and the bot's signature. */
export interface RecordedRef extends MessageRef {
  digest: string;
  sig: string;
}

export interface MessagePlace {
  subject: RefSubject;
  /** The reference stored with the object, if any (anyone may have written it). */
  stored: (StoredRef & { digest?: unknown }) | undefined;
  /** Where the bot posts now; undefined: nowhere configured (a recorded message is still updated). */
  channel: string | undefined;
  /** The object, as log lines name it, e.g. `Rollout shop/web`. */
  object: string;
}

/** Whether a reference showMessage returned is to a message it posted anew: one updated in place keeps its place. */
export function postedAnew(shown: MessageRef, stored: StoredRef | undefined): boolean {
  return shown.channel !== stored?.channel || shown.ts !== stored?.ts;
}

/**
 * Shows the message `build` makes in Slack: updated in place where the stored reference is one the bot recorded for
 * this subject and channel (unless it shows this already), else — when `postNew` and there is a channel — posted
 * anew, with a warning if a stored reference was not used. Resolves with the reference to record, or undefined when
 * nothing was sent. The message is built only when it may be sent (a pass looks at every object).
 */
export async function showMessage(client: WebClient, log: Logger, place: MessagePlace, build: () => Message, postNew: boolean): Promise<RecordedRef | undefined> {
  const token = tokenOf(client);
  const check = checkRef(token, place.subject, place.stored, place.channel);
  const recorded = check && 'ref' in check ? check.ref : undefined;
  if (!recorded && (!postNew || !place.channel)) return undefined;
  const message = build();
  const digest = messageDigest(message);
  let at: MessageRef;
  if (recorded) {
    if (place.stored?.digest === digest) return undefined;
    await client.chat.update({ channel: recorded.channel, ts: recorded.ts, text: message.text, blocks: message.blocks });
    at = recorded;
  } else {
    if (check && 'problem' in check) log.warn({ object: place.object, problem: check.problem }, `${UNTRUSTED}; posting a new message`);
    const posted = await client.chat.postMessage({ channel: place.channel!, text: message.text, blocks: message.blocks });
    at = { channel: posted.channel ?? place.channel!, ts: posted.ts! };
  }
  return { ...at, digest, sig: signRef(token, place.subject, at) };
}

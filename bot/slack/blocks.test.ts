// The message of an approval or intervention request: the link button to the verification's report, shown only
// for a link people may follow, within Block Kit's limits, and part of what the digest sees.
import { describe, expect, it } from 'vitest';
import { type ApprovalRequest, effectivePolicy, type RolloutRequestSpec } from '../../shared/approvals/request.js';
import { SLACK_BLOCK_LIMITS, validateBlocks } from '../../test/fakes/slack/index.js';
import { approvalRequest } from '../../test/helpers/approval-policy.js';
import { REPORT_ACTION, approvalRequestMessage, messageDigest } from './blocks.js';

const LINK = 'https://rollouts-cv.example.com/reports/lab/web-abc123-2-1/verify';
const place = { cluster: 'test', environment: 'lab', namespace: 'lab' };

function intervention(evidence: RolloutRequestSpec['evidence'], status?: ApprovalRequest['status']): ApprovalRequest {
  const request = approvalRequest('web-abc123-s1-i1', 'lab', { type: 'Intervention', actions: ['promote', 'rollback'], onTimeout: 'rollback', expiresAt: '2026-01-01T13:00:00.000Z', evidence });
  return status ? { ...request, status } : request;
}

function messageOf(request: ApprovalRequest) {
  const message = approvalRequestMessage(request, place, effectivePolicy(request.spec, { environment: 'lab', protected: false, minApprovals: 1 }));
  expect(validateBlocks(message.blocks, SLACK_BLOCK_LIMITS)).toEqual([]);
  return message;
}

/** The link buttons of a message: anything with a url, wherever it is. */
function linkButtons(request: ApprovalRequest): unknown[] {
  const blocks = messageOf(request).blocks as { accessory?: { url?: string }; elements?: { url?: string }[] }[];
  return blocks.flatMap((block) => [block.accessory, ...(block.elements ?? [])]).filter((element) => element?.url !== undefined);
}

const EVIDENCE = { verdict: 'Inconclusive', score: 55, reasons: ['latency: not conclusively higher'] };
const DECIDED = { state: 'Decided' as const, outcome: 'rollback' as const, approvals: 0, approvalsText: '0/1', decisions: [], message: 'rollback by U0LARA0001' };

describe("the request message's report button", () => {
  it.each([
    ['pending', undefined],
    ['decided', DECIDED],
  ])('opens the report while the request is %s, beside the verdict', (_state, status) => {
    const message = messageOf(intervention({ ...EVIDENCE, report: LINK }, status));
    const head = message.blocks[0] as { text: { text: string }; accessory: unknown };
    expect(head.text.text).toContain('verdict *Inconclusive*');
    expect(head.accessory).toEqual({ type: 'button', action_id: REPORT_ACTION, text: { type: 'plain_text', text: 'Open the report' }, url: LINK });
    // The link is in the button's url only, never in mrkdwn where it could be markup.
    expect(JSON.stringify(message.blocks).split(LINK)).toHaveLength(2);
  });

  it('is absent without a report link', () => {
    expect(linkButtons(intervention(EVIDENCE))).toEqual([]);
    expect(linkButtons(intervention(undefined))).toEqual([]);
  });

  it.each([
    ['a javascript: link', 'javascript:alert(document.cookie)'],
    ['a link with credentials', 'https://admin:secret@rollouts-cv.example.com/reports/lab/web/verify'],
    ['a link longer than a button url may be', `https://rollouts-cv.example.com/reports/lab/web/${'m'.repeat(3000)}`],
    ['no URL', 'see the report'],
  ])('is absent for %s written into the request by hand', (_what, report) => {
    expect(linkButtons(intervention({ ...EVIDENCE, report }))).toEqual([]);
  });

  it('carries the link as a URL, escaped as a URL needs: markup in it stays inert', () => {
    const button = linkButtons(intervention({ ...EVIDENCE, report: 'https://rollouts-cv.example.com/reports/lab/a<b>|c/verify' }))[0] as { url: string };
    expect(button.url).toBe('https://rollouts-cv.example.com/reports/lab/a%3Cb%3E|c/verify');
  });

  it('is part of what the digest sees, so a message showing another link is updated', () => {
    const digest = (report?: string) => messageDigest(messageOf(intervention({ ...EVIDENCE, ...(report && { report }) })));
    expect(digest(LINK)).not.toBe(digest());
    expect(digest(LINK)).not.toBe(digest(LINK.replace('verify', 'errors')));
    expect(digest(LINK)).toBe(digest(LINK));
  });
});

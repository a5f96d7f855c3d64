import { describe, expect, it } from 'vitest';
import { redactSlackSecrets } from './redact.js';

describe('redactSlackSecrets', () => {
  it.each([
    ['a JSON response_url', '{"response_url":"https://hooks.slack.com/commands/T1/2/abc","text":"x"}', '{"response_url":"[redacted]","text":"x"}'],
    ['Slack\'s escaped slashes', '{"response_url":"https:\\/\\/hooks.slack.com\\/actions\\/T1\\/2\\/abc","a":1}', '{"response_url":"[redacted]","a":1}'],
    ['a payload inside a JSON string', '{"body":"{\\"trigger_id\\":\\"123.456.abc\\",\\"x\\":1}"}', '{"body":"{\\"trigger_id\\":\\"[redacted]\\",\\"x\\":1}"}'],
    ['response_urls of a view submission', '"response_urls":[{"block_id":"b","response_url":"http://127.0.0.1:1/response/9"}]', '"response_urls":[{"block_id":"b","response_url":"[redacted]"}]'],
    ['the verification token', '{"token":"legacy123","team_id":"T1"}', '{"token":"[redacted]","team_id":"T1"}'],
    ['form fields', 'token=abc&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1&trigger_id=1.2.3&text=hi', 'token=[redacted]&response_url=[redacted]&trigger_id=[redacted]&text=hi'],
    ['a Socket Mode ticket', 'wss://wss-primary.slack.com/link/?ticket=8a2b-77&app_id=A1', 'wss://wss-primary.slack.com/link/?ticket=[redacted]&app_id=A1'],
    ['a webhook URL in free text', 'posting to https://hooks.slack.com/services/T1/B2/secret now', 'posting to https://hooks.slack.com/[redacted] now'],
    ['tokens anywhere', 'bot xoxb-123-456-abc, app xapp-1-A1-2-ff, user xoxp-9, refresh xoxe.xoxp-1-zz', 'bot [redacted], app [redacted], user [redacted], refresh [redacted]'],
  ])('%s', (_what, text, expected) => {
    expect(redactSlackSecrets(text)).toBe(expected);
  });

  it('leaves other text alone', () => {
    const text = '{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"rcv.request.approve","value":"c|ns|name"}]} ack() call begins';
    expect(redactSlackSecrets(text)).toBe(text);
  });
});

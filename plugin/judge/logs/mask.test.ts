import { describe, expect, it } from 'vitest';
import { capLine, maskLine, MAX_LINE_CHARS } from './mask.js';

describe('maskLine', () => {
  it.each([
    ['numbers', 'retry 3 of 10 took -7 points, ratio 0.25, version 1.2.3, 6.02e23 atoms', 'retry <NUM> of <NUM> took <NUM> points, ratio <NUM>, version <NUM>, <NUM> atoms'],
    ['numbers after punctuation', 'id=42 (17) [3] blk_-1608999687919862906 10-20 HTTP/2', 'id=<NUM> (<NUM>) [<NUM>] blk_-<NUM> <NUM>-<NUM> HTTP/<NUM>'],
    ['hex', 'flags 0x1F trace 4bf92f3577b34da6a3ce929d0e0e4736 commit a1b2c3d4e5', 'flags <HEX> trace <HEX> commit <HEX>'],
    ['UUIDs', 'order 550e8400-e29b-41d4-a716-446655440000 paid', 'order <UUID> paid'],
    ['IPv4 with a port, IPv6', 'from 10.0.0.12:8080 and 192.168.1.1 via fe80::1 and 2001:db8::8a2e:370:7334 and 2001:0db8:0000:0000:0000:ff00:0042:8329', 'from <IP> and <IP> via <IP> and <IP> and <IP>'],
    ['host and port', 'connected to db-1.shop.svc.cluster.local:5432', 'connected to <HOST>'],
    ['ISO and RFC 3339 times', 'at 2025-03-04T10:11:12.345Z and 2025-03-04 10:11:12,123 and 2025/03/04 and 2025-03-04T10:11:12+02:00', 'at <TS> and <TS> and <TS> and <TS>'],
    ['log-format times', 'at [04/Mar/2025:10:11:12 +0000] and Mar  4 10:11:12 and 10:11:12.5', 'at [<TS>] and <TS> and <TS>'],
    ['paths', 'reading /var/log/app.log, ./conf/x.yaml, ~/.config and C:\\Temp\\x.txt', 'reading <PATH>, <PATH>, <PATH> and <PATH>'],
    ['URLs without the sentence’s full stop', 'GET https://api.example.com/v1/orders?id=7&x=1. Then ftp://files.example.org/a', 'GET <URL>. Then <URL>'],
    ['e-mail addresses', 'mail to john.doe+shop@example.co.uk failed', 'mail to <EMAIL> failed'],
    ['quoted words', `user="bob" table 'orders' plan: "pro" empty=""`, 'user=<STR> table <STR> plan: <STR> empty=<STR>'],
    ['durations', 'took 250ms, then 1.5s, 1h2m3s, 5min and 300us', 'took <DUR>, then <DUR>, <DUR>, <DUR> and <DUR>'],
    ['sizes', 'wrote 12KB of 3.5GiB, 512B', 'wrote <SIZE> of <SIZE>, <SIZE>'],
  ])('masks %s', (_, line, masked) => {
    expect(maskLine(line)).toBe(masked);
  });

  it('keeps ordinary words, words holding digits and dotted names', () => {
    const line = 'user42 logged in with v2 from core.1234, deadbeef cafe and/or don’t stop';
    expect(maskLine(line)).toBe(line);
  });

  it('keeps a quoted phrase, a JSON key and the message of logfmt and JSON, masking inside them', () => {
    expect(maskLine('error: "connection reset by peer 10.0.0.1"')).toBe('error: "connection reset by peer <IP>"');
    expect(maskLine('level=error msg="timeout after 30s" err="refused" user="bob"')).toBe('level=error msg="timeout after <DUR>" err="refused" user=<STR>');
    expect(maskLine('{"level":"info","msg":"started","id":"a1"}')).toBe('{"level":<STR>,"msg":"started","id":<STR>}');
    expect(maskLine(`don't say 'it's fine'`)).toBe(`don't say 'it's fine'`);
  });

  it('is deterministic and keeps unicode as it is', () => {
    const line = 'Überweisung 42 € für 👩‍💻 in 3ms — 東京 ✓';
    expect(maskLine(line)).toBe('Überweisung <NUM> € für 👩‍💻 in <DUR> — 東京 ✓');
    expect(maskLine(line)).toBe(maskLine(line));
  });

  it('leaves lines of separators or whitespace alone', () => {
    for (const line of ['', ' ', '\t\t', '----', '::::', '////', '""""', "'''", '<<>>', '. . .']) expect(maskLine(line)).toBe(line);
  });

  it('masks only the first MAX_LINE_CHARS characters of a long line', () => {
    const line = `${'word '.repeat(MAX_LINE_CHARS / 5)}tail 42`;
    const masked = maskLine(line);
    expect(masked).toHaveLength(MAX_LINE_CHARS);
    expect(masked).not.toContain('tail');
  });

  it('does not split a surrogate pair where it cuts', () => {
    const line = `${'a'.repeat(MAX_LINE_CHARS - 1)}😀b`;
    expect(capLine(line)).toBe('a'.repeat(MAX_LINE_CHARS - 1));
    expect(capLine('short')).toBe('short');
  });

  it('finishes pathological 100 KB lines: its work is bounded by the cut and linear patterns', () => {
    // Each would make a pattern with nested or unbounded repetition backtrack for ages: long runs that almost
    // match (digits and dots, hex, an unclosed quote, a local part without a domain, a path of many slashes).
    const lines = [
      '1.'.repeat(50_000),
      'a'.repeat(100_000),
      `"${'\\"'.repeat(50_000)}`,
      `${'a.'.repeat(50_000)}@`,
      '/a'.repeat(50_000),
      '0:'.repeat(50_000),
      'http://'.repeat(15_000),
      `${'1'.repeat(100_000)}x`,
      ' '.repeat(100_000),
    ];
    for (const line of lines) {
      const masked = maskLine(line);
      expect(masked.length).toBeLessThanOrEqual(MAX_LINE_CHARS);
    }
  });
});

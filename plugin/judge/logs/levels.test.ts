import { describe, expect, it } from 'vitest';
import { levelOf, levelRank, worseLevel } from './levels.js';

describe('levelOf', () => {
  it.each([
    // Level fields, any case, quoted or not.
    ['time=2025-03-04T10:11:12Z level=error msg="payment declined"', 'error'],
    ['{"time":"2025-03-04T10:11:12Z","level":"warn","msg":"slow upstream"}', 'warn'],
    ['{"severity": "ERROR", "message": "cannot reach db"}', 'error'],
    ['Level=Warning source=cache', 'warn'],
    ["lvl='crit' component=raft", 'error'],
    ['{"levelname": "WARNING", "name": "celery"}', 'warn'],
    ['log_level: fatal', 'error'],
    ['{"level":"dpanic","msg":"x"}', 'error'],
    // pino and bunyan numbers.
    ['{"level":50,"time":1741083072000,"msg":"request errored"}', 'error'],
    ['{"level":40,"msg":"deprecated option"}', 'warn'],
    ['{"level":30,"msg":"listening"}', 'info'],
    // glog / klog headers.
    ['E0304 10:11:12.123456       1 controller.go:114] sync failed', 'error'],
    ['W0304 10:11:12.123456       1 reflector.go:424] watch closed', 'warn'],
    ['F0304 10:11:12.123456       1 main.go:42] cannot start', 'error'],
    ['I0304 10:11:12.123456       1 leaderelection.go:248] attempting to acquire lease', 'info'],
    // Upper-case level words anywhere.
    ['2025-03-04 10:11:12,345 ERROR [main] o.a.c.Foo - boom', 'error'],
    ['2025-03-04 10:11:12 WARN  cache miss ratio high', 'warn'],
    ['[2025-03-04 10:11:12] FATAL: out of disk', 'error'],
    ['SEVERE: Servlet.service() threw', 'error'],
    ['CRITICAL:root:cannot open config', 'error'],
    // Any case as a label: bracketed or before a colon.
    ['2025/03/04 10:11:12 [error] 31#31: *1 connect() failed', 'error'],
    ['2025/03/04 10:11:12 [warn] 31#31: conflicting server name', 'warn'],
    ['<warning> disk 91% full', 'warn'],
    ['error: could not read file', 'error'],
    ['Warning: Accessing non-existent property', 'warn'],
    ['panic: runtime error: invalid memory address or nil pointer dereference', 'error'],
    // Error words, any case.
    ['Traceback (most recent call last):', 'error'],
    ['java.lang.NullPointerException', 'error'],
    ['  at com.example.Foo(Foo.java:12) caused by IOException', 'error'],
    ['TypeError: Cannot read properties of undefined', 'error'],
    ['Error connecting to upstream', 'error'],
    ['dial tcp 10.0.0.3:5432: connect: connection refused', 'error'],
    ['request FAILED after 3 attempts', 'error'],
    ['upstream request timeout', 'error'],
    ['context deadline exceeded', 'error'],
    ['read tcp: i/o timed out', 'error'],
    ['printing stack trace', 'error'],
    ['Segmentation fault (core dumped)', 'error'],
    ['fatal runtime: Out Of Memory', 'error'],
    ["thread 'main' panicked at src/main.rs:2:5", 'error'],
    ['Error: connect ECONNREFUSED 127.0.0.1:6379', 'error'],
    // The worst word wins.
    ['WARN retry 2 failed', 'error'],
    // Nothing said: info.
    ['GET /health 200 1.2ms', 'info'],
    ['', 'info'],
  ] as const)('%s → %s', (line, level) => {
    expect(levelOf(line)).toBe(level);
  });

  it.each([
    // A level field decides, whatever the words say.
    ['level=info msg="retrying after timeout"', 'info'],
    ['{"msg":"payment failed, will retry","level":"info"}', 'info'],
    ['{"level":30,"msg":"ERROR count is 0"}', 'info'],
    ['I0304 10:11:12.123456 1 x.go:1] connection refused by peer, retrying', 'info'],
    // The first field counts; a field with another value is none.
    ['level=warn nested.level=error', 'warn'],
    ['risk level: high, WARN about it', 'warn'],
    ['level=verbose2 FATAL', 'error'],
  ] as const)('a level field decides: %s → %s', (line, level) => {
    expect(levelOf(line)).toBe(level);
  });

  it.each([
    // Level words in prose, in lower or title case, do not count.
    ['0 errors in the last hour'],
    ['on error the request is retried'],
    ['warning banner shown to 3 users'],
    ['fatal flaw avoided'],
    // A JSON key is not a label.
    ['{"error":null,"status":"ok"}'],
    // Error words as field names or zero counts.
    ['config loaded: timeout=30s retries=3'],
    ['{"timeout": 30, "failed": 2}'],
    ['tests: 12 passed, 0 failed'],
    ['summary failed: 0'],
    ['LastError=none'],
    // Identifiers that are not error types, and parts of words.
    ['calling onError handler'],
    ['errorHandler registered'],
    ['ERRORS_TOTAL metric registered'],
    ['stacked traces merged'],
    ['without stack traced'],
    ['timeouts configured'],
    // Not a klog header: lower case, or not at the start.
    ['e0304 10:11:12.123456 1 x.go:1] ok'],
    ['xE0304 10:11:12.123456 1 x.go:1] ok'],
  ] as const)('info: %s', (line) => {
    expect(levelOf(line)).toBe('info');
  });

  it('takes linear time on hostile lines', () => {
    const hostile = [
      'a'.repeat(2_000_000),
      'level='.repeat(300_000),
      '"level" : '.repeat(200_000),
      '[error'.repeat(300_000),
      'stack '.repeat(300_000),
      '0 '.repeat(1_000_000),
      'x='.repeat(1_000_000),
      'E0304 '.repeat(300_000),
      'Error'.repeat(400_000),
      '\u0000\uffff\ud800'.repeat(500_000),
    ];
    for (const line of hostile) {
      const started = performance.now();
      levelOf(line);
      levelOf(line + line);
      expect(performance.now() - started).toBeLessThan(2_000);
    }
    // Twice the length, about twice the time (not four times): measured on the words-heavy one.
    const words = 'out of time stack level=x [warn '.repeat(100_000);
    const time = (line: string) => {
      const started = performance.now();
      for (let i = 0; i < 3; i++) levelOf(line);
      return performance.now() - started;
    };
    time(words);
    expect(time(words + words)).toBeLessThan(4 * time(words) + 50);
  });
});

describe('worseLevel and levelRank', () => {
  it('orders error above warn above info', () => {
    expect(worseLevel('info', 'warn')).toBe('warn');
    expect(worseLevel('error', 'warn')).toBe('error');
    expect(worseLevel('info', 'info')).toBe('info');
    expect([levelRank('info'), levelRank('warn'), levelRank('error')]).toEqual([0, 1, 2]);
  });
});

import { describe, expect, it } from 'vitest';
import { type PastSeries, checkPastSeries, seriesKey, toOpenMetrics, toVictoriaMetricsImport } from './past-series.js';

const series: PastSeries[] = [
  { labels: { __name__: 'http_requests_total', pod: 'web-1', code: '200' }, samples: [[1_700_000_000_000, 1], [1_700_000_015_500, 2.5]] },
  { labels: { __name__: 'memory_bytes', pod: 'web-1' }, samples: [[1_700_000_000_000, 1e21]] },
  { labels: { __name__: 'http_requests_total', pod: 'web-2', code: '500' }, samples: [[1_700_000_000_000, 0]] },
];

describe('toOpenMetrics', () => {
  it('writes each sample with its timestamp in seconds, a metric family never interleaved, and # EOF', () => {
    expect(toOpenMetrics(series)).toBe(
      [
        'http_requests_total{pod="web-1",code="200"} 1 1700000000',
        'http_requests_total{pod="web-1",code="200"} 2.5 1700000015.5',
        'http_requests_total{pod="web-2",code="500"} 0 1700000000',
        'memory_bytes{pod="web-1"} 1e+21 1700000000',
        '# EOF',
        '',
      ].join('\n'),
    );
  });

  it('escapes what would end a label value or a line, and nothing else', () => {
    const text = toOpenMetrics([{ labels: { __name__: 'x', note: 'a"b\\c\nd} e,f="g"' }, samples: [[1000, 1]] }]);
    expect(text).toBe('x{note="a\\"b\\\\c\\nd} e,f=\\"g\\""} 1 1\n# EOF\n');
  });

  it('is just # EOF without series', () => {
    expect(toOpenMetrics([])).toBe('# EOF\n');
  });
});

describe('toVictoriaMetricsImport', () => {
  it('writes one JSON line per series with millisecond timestamps', () => {
    const lines = toVictoriaMetricsImport(series).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({
      metric: { __name__: 'http_requests_total', pod: 'web-1', code: '200' },
      values: [1, 2.5],
      timestamps: [1_700_000_000_000, 1_700_000_015_500],
    });
  });
});

describe('checkPastSeries', () => {
  const at = 1_700_000_000_000;
  it.each([
    [{ labels: { pod: 'p' }, samples: [] }, 'series[0].labels.__name__: expected a metric name matching ^[a-zA-Z_:][a-zA-Z0-9_:]*$; got undefined'],
    [{ labels: { __name__: 'http requests' }, samples: [] }, 'series[0].labels.__name__: expected a metric name'],
    [{ labels: { __name__: 'x', 'pod-name': 'p' }, samples: [] }, 'series[0].labels: expected label names matching ^[a-zA-Z_][a-zA-Z0-9_]*$, not starting with "__"; got "pod-name"'],
    [{ labels: { __name__: 'x', __proto__x: 'p' }, samples: [] }, 'not starting with "__"; got "__proto__x"'],
    [{ labels: { __name__: 'x', pod: '' }, samples: [] }, 'series[0].labels.pod: expected a non-empty Unicode string; got ""'],
    [{ labels: { __name__: 'x', pod: 7 as unknown as string }, samples: [] }, 'series[0].labels.pod: expected a non-empty Unicode string; got 7'],
    [{ labels: { __name__: 'x', pod: 'half \ud800 pair' }, samples: [] }, 'series[0].labels.pod: expected a non-empty Unicode string'],
    [{ labels: { __name__: 'x' }, samples: [[at, Infinity]] }, 'series[0].samples[0][1]: expected a finite number; got Infinity'],
    [{ labels: { __name__: 'x' }, samples: [[at + 0.5, 1]] }, 'series[0].samples[0][0]: expected a whole number of milliseconds after the previous sample\'s; got 1700000000000.5'],
    [{ labels: { __name__: 'x' }, samples: [[at, 1], [at - 1, 1]] }, 'series[0].samples[1][0]: expected a whole number of milliseconds after the previous sample\'s; got 1699999999999'],
  ] as [PastSeries, string][])('refuses %j, naming the field', (bad, message) => {
    expect(() => checkPastSeries([bad])).toThrow(message);
    expect(() => toOpenMetrics([bad])).toThrow(message);
    expect(() => toVictoriaMetricsImport([bad])).toThrow(message);
  });

  it('refuses the same series twice, whatever the order of its labels', () => {
    expect(() =>
      checkPastSeries([
        { labels: { __name__: 'x', a: '1', b: '2' }, samples: [[at, 1]] },
        { labels: { b: '2', __name__: 'x', a: '1' }, samples: [[at + 1, 1]] },
      ]),
    ).toThrow('series[1].labels: the same labels as an earlier series');
  });

  it('keys a series by its labels, not their order', () => {
    expect(seriesKey({ b: '2', a: '1' })).toBe(seriesKey({ a: '1', b: '2' }));
    expect(seriesKey({ a: '1' })).not.toBe(seriesKey({ a: '1', b: '2' }));
  });
});

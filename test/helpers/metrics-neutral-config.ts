// The metrics half of a verify config whose verdict is left to its logs: one gauge the same for both groups, no
// warm-up and no history, the canary's pods by hash "new" and the baseline's by "old".
export const METRICS_NEUTRAL_CONFIG = {
  duration: '5m',
  warmup: '0s',
  history: { lookback: '0s' },
  canary: { podTemplateHash: 'new' },
  baseline: { podTemplateHash: 'old' },
  source: { prometheus: { address: 'http://prometheus:9090' } },
  metrics: [{ name: 'cpu', kind: 'resource', query: 'c{${selector}}', mustHaveData: false }],
};

import { describe, expect, it } from 'vitest';
import { toLogLine } from './logs.js';

const timestamp = new Date('2026-01-01T00:00:01.250Z');
const event = (attributes: Record<string, unknown>) => ({ id: 'AQAA', type: 'log', attributes: { timestamp, message: 'GET /cart 500', ...attributes } });

describe('toLogLine', () => {
  it('reads the message, the time, the pod from a tag and the status as the level', () => {
    expect(toLogLine(event({ status: 'error', tags: ['kube_namespace:shop', 'pod_name:web-abc-x1'] }), 'pod_name')).toEqual({
      time: timestamp.getTime(),
      instance: 'web-abc-x1',
      message: 'GET /cart 500',
      level: 'error',
    });
  });

  it('reads the pod from an attribute path, nested or flat, or from a reserved attribute', () => {
    expect(toLogLine(event({ attributes: { kubernetes: { pod_name: 'web-abc-x1' } } }), '@kubernetes.pod_name')).toMatchObject({ instance: 'web-abc-x1' });
    expect(toLogLine(event({ attributes: { 'kubernetes.pod_name': 'web-abc-x2' } }), '@kubernetes.pod_name')).toMatchObject({ instance: 'web-abc-x2' });
    expect(toLogLine(event({ host: 'web-abc-x3' }), 'host')).toMatchObject({ instance: 'web-abc-x3' });
  });

  it('says why an event is not a line', () => {
    expect(toLogLine(event({ tags: ['kube_namespace:shop'] }), 'pod_name')).toBe('no-instance');
    expect(toLogLine(event({ message: '', tags: ['pod_name:p'] }), 'pod_name')).toBe('no-message');
    expect(toLogLine(event({ timestamp: new Date('not a date'), tags: ['pod_name:p'] }), 'pod_name')).toBe('malformed');
    expect(toLogLine({ attributes: { message: 'x', tags: 'pod_name:p', timestamp } }, 'pod_name')).toBe('malformed');
    expect(toLogLine(null, 'pod_name')).toBe('malformed');
    expect(toLogLine(event({ attributes: { kubernetes: { pod_name: { nested: true } } } }), '@kubernetes.pod_name')).toBe('no-instance');
  });
});

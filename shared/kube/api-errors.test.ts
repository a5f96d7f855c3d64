import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeApiError, isApiStatus, serverMessage } from './api-errors.js';

const status = (code: number, message: string) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });

describe('serverMessage', () => {
  it("reads the API server's Status message from a body, as text or parsed", () => {
    expect(serverMessage(status(404, 'rollouts.argoproj.io "web" not found'))).toBe('rollouts.argoproj.io "web" not found');
    expect(serverMessage({ message: 'quota exceeded' })).toBe('quota exceeded');
    expect(serverMessage('upstream connect error')).toBe('upstream connect error');
    expect(serverMessage(undefined)).toBeUndefined();
  });
});

describe('describeApiError', () => {
  it("says the status and the API server's message in one line", () => {
    const refused = new ApiException(403, 'HTTP-Code: 403\nMessage: Forbidden\nBody: …', status(403, 'admission webhook "policy.example.com" denied the request'), {});
    expect(describeApiError(refused)).toBe('HTTP 403: admission webhook "policy.example.com" denied the request');
    // a watch's failure carries the status as statusCode
    expect(describeApiError(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe('HTTP 410: Gone');
  });

  it('says the error itself when no status came back', () => {
    expect(describeApiError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443\n    at …'), { code: 'ECONNREFUSED' }))).toBe('connect ECONNREFUSED 127.0.0.1:6443');
    expect(describeApiError('socket hang up')).toBe('socket hang up');
  });
});

describe('isApiStatus', () => {
  it("tells the API server's answer by its status, and nothing else for one", () => {
    const missing = new ApiException(404, 'HTTP-Code: 404', status(404, 'rollouts.argoproj.io "web" not found'), {});
    expect(isApiStatus(missing, 404)).toBe(true);
    expect(isApiStatus(missing, 409)).toBe(false);
    // a network error or a watch's failure is not an answer with that status
    expect(isApiStatus(Object.assign(new Error('Not Found'), { code: 404 }), 404)).toBe(false);
    expect(isApiStatus(undefined, 404)).toBe(false);
  });
});

import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubeApi, type FakeKubeApi } from '../../test/helpers/fake-kube-api.js';
import { objectStore } from '../../test/helpers/fake-kube-store.js';
import { ALLOWED_URLS_ANNOTATION, CREDENTIALS_LABEL, forgeToken, gitCredentials, kubeSecretReader, type SecretData } from './credentials.js';

const URL_ = 'https://git.example/platform/release.git';
const secret = (data: Record<string, string>, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): SecretData => ({
  labels: meta.labels ?? { [CREDENTIALS_LABEL]: 'git' },
  annotations: meta.annotations ?? { [ALLOWED_URLS_ANNOTATION]: 'https://git.example/platform/ https://git.example/shared/' },
  data,
});
const reader = (s: SecretData | null) => async () => s;
const repo = (url = URL_) => ({ url, credentialsSecret: { name: 'release-repo-token' } });

describe('gitCredentials', () => {
  it('gives a token or an SSH key from a Secret allowed for the URL, and nothing without a Secret', async () => {
    expect(await gitCredentials(reader(null), 'releases', { url: URL_ })).toEqual({ kind: 'none' });
    expect(await gitCredentials(reader(secret({ username: 'bot', token: 't0k' })), 'releases', repo())).toEqual({ kind: 'token', username: 'bot', token: 't0k' });
    expect(await gitCredentials(reader(secret({ sshPrivateKey: 'KEY', knownHosts: 'git.example ssh-ed25519 AAAA' })), 'releases', repo())).toEqual({
      kind: 'ssh',
      privateKey: 'KEY',
      knownHosts: 'git.example ssh-ed25519 AAAA',
    });
  });

  it('refuses a Secret not meant for release repositories, or a URL it does not allow (a token sent to the Pipeline author’s server)', async () => {
    const fails = (s: SecretData | null, url = URL_) => gitCredentials(reader(s), 'releases', repo(url));
    await expect(fails(null)).rejects.toThrow('Secret releases/release-repo-token does not exist');
    await expect(fails(secret({ token: 't' }, { labels: {} }))).rejects.toThrow(`is not labelled ${CREDENTIALS_LABEL}=git`);
    await expect(fails(secret({ token: 't' }), 'https://evil.example/platform/release.git')).rejects.toThrow(
      'may not be sent to https://evil.example/platform/release.git: its rollouts-cv.io/allowed-urls annotation allows https://git.example/platform/, https://git.example/shared/',
    );
    await expect(fails(secret({ token: 't' }), 'https://git.example/platform/../private/r.git')).rejects.toThrow('is not written plainly');
    // git and curl would send the token to evil.com: the URL is refused before any Secret is read.
    await expect(fails(secret({ token: 't' }), 'https://git.example\\platform\\@evil.com/x.git')).rejects.toThrow('is not written plainly');
    await expect(fails(secret({ token: 't' }, { annotations: { [ALLOWED_URLS_ANNOTATION]: 'https://git.example' } }), 'https://git.example.evil.com/r.git')).rejects.toThrow('prefix must end with "/"');
    await expect(fails(secret({ token: 't' }, { annotations: {} }))).rejects.toThrow('allows no URL');
    await expect(fails(secret({ password: 'x' }))).rejects.toThrow('holds neither "token"');
  });
});

describe('forgeToken', () => {
  const allowing = (prefixes: string, data: Record<string, string> = { token: 't0k\n' }) => reader(secret(data, { annotations: { [ALLOWED_URLS_ANNOTATION]: prefixes } }));
  const ref = { credentialsSecret: { name: 'release-repo-token' } };

  it('gives the repository Secret’s token for a forge API the Secret also allows', async () => {
    expect(await forgeToken(allowing('https://git.example/platform/ https://api.github.com/'), 'releases', ref, 'https://api.github.com')).toEqual({
      api: new URL('https://api.github.com'),
      secret: 'Secret releases/release-repo-token',
      token: 't0k',
    });
    expect((await forgeToken(allowing('https://gitlab.example/api/v4/'), 'releases', ref, 'https://gitlab.example/api/v4')).token).toBe('t0k');
  });

  it('refuses an API the Secret does not allow, a URL that is not plain, and a Secret without a token', async () => {
    await expect(forgeToken(allowing('https://git.example/platform/'), 'releases', ref, 'https://api.github.com')).rejects.toThrow(
      'Secret releases/release-repo-token may not be sent to https://api.github.com/: its rollouts-cv.io/allowed-urls annotation allows https://git.example/platform/',
    );
    await expect(forgeToken(allowing('https://api.github.com/'), 'releases', ref, 'https://api.github.com.evil.example')).rejects.toThrow('may not be sent to');
    await expect(forgeToken(allowing('http://api.example/'), 'releases', ref, 'http://api.example')).rejects.toThrow('http:// only to a loopback address');
    await expect(forgeToken(allowing('https://api.github.com/'), 'releases', ref, 'https://x@api.github.com')).rejects.toThrow('is not written plainly');
    await expect(forgeToken(allowing('https://api.github.com/', { sshPrivateKey: 'KEY', knownHosts: 'h' }), 'releases', ref, 'https://api.github.com')).rejects.toThrow('holds no "token"');
  });

  it('leaves git the SSH key of a Secret that holds both, for an SSH repository', async () => {
    const both = reader(secret({ token: 't0k', sshPrivateKey: 'KEY', knownHosts: 'git.example ssh-ed25519 AAAA' }, { annotations: { [ALLOWED_URLS_ANNOTATION]: 'git@git.example: https://git.example/platform/' } }));
    expect(await gitCredentials(both, 'releases', repo('git@git.example:platform/release.git'))).toMatchObject({ kind: 'ssh' });
    expect(await gitCredentials(both, 'releases', repo())).toMatchObject({ kind: 'token' });
  });
});

describe('kubeSecretReader', () => {
  let kube: FakeKubeApi;
  const store = objectStore();
  beforeAll(async () => {
    kube = await startFakeKubeApi(store.respond);
    store.seed({ plural: 'secrets' }, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'token', namespace: 'releases', labels: { [CREDENTIALS_LABEL]: 'git' } }, data: { token: Buffer.from('t0k').toString('base64') } });
  });
  afterAll(() => kube.close());

  it('decodes a Secret, and reads a missing one as null', async () => {
    const read = kubeSecretReader(kube.kubeConfig().makeApiClient(CoreV1Api));
    expect(await read('releases', 'token')).toEqual({ labels: { [CREDENTIALS_LABEL]: 'git' }, annotations: {}, data: { token: 't0k' } });
    expect(await read('releases', 'nope')).toBeNull();
  });
});

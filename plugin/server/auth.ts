// Authentication of the bridge: with --auth-token-file, every call but the health checks must carry
// `authorization: Bearer <token>` with that file's token, or is refused as UNAUTHENTICATED before any handler runs.
// The comparison takes the same time whatever the token presented, and neither token is ever logged.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/log.js';

const MIN_TOKEN_LENGTH = 16;
/** grpc.health.v1: the kubelet's gRPC probe cannot send a token. */
const OPEN_PATH_PREFIX = '/grpc.health.v1.Health/';

/** The token in `file`, without surrounding whitespace (a Secret written from a file often ends in a newline). */
export async function readAuthToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`--auth-token-file ${file}: cannot read it: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (!token) throw new Error(`--auth-token-file ${file} is empty`);
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new Error(`--auth-token-file ${file}: the token must be at least ${MIN_TOKEN_LENGTH} characters without spaces (e.g. openssl rand -hex 32)`);
  }
  return token;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Why `authorization` (the metadata values) does not carry `token`, or undefined when it does. Pure. */
function authFailure(authorization: grpc.MetadataValue[], token: string): string | undefined {
  const value = authorization.length === 1 ? String(authorization[0]) : '';
  const match = /^Bearer (\S+)$/.exec(value);
  if (!match) return 'no bearer token: this engine requires authentication; give the bridge --engine-token-file with its token';
  // equal-length digests, so the time taken says nothing about the token
  return timingSafeEqual(digest(match[1]!), digest(token)) ? undefined : 'wrong bearer token: the bridge\'s --engine-token-file does not hold this engine\'s token';
}

/** A server interceptor refusing calls without `token` (health checks excepted). */
export function bearerTokenInterceptor(token: string, log: Logger): grpc.ServerInterceptor {
  return (method, call) => {
    if (method.path.startsWith(OPEN_PATH_PREFIX)) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const failure = authFailure(metadata.get('authorization'), token);
            if (!failure) return proceed(metadata);
            log.warn({ method: method.path, peer: call.getPeer(), reason: failure.split(':')[0] }, 'unauthenticated call refused');
            call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: failure });
          },
        }),
    });
  };
}

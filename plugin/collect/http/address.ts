// Backend addresses appear in Measurement messages, step statuses and logs, which many people can read. So an
// address may carry no secret (user info, query string or fragment), and a rejected one is only ever repeated
// with those parts masked.

const ADDRESS_EXAMPLE = 'http://prometheus:9090';

/** The address with user info, query string and fragment masked, for messages; works on text that is no URL too. */
export function redactAddress(text: string): string {
  return text.replace(/\/\/[^/?#]*@/, '//…@').replace(/[?#].*$/s, (rest) => `${rest[0]}…`);
}

/**
 * Why `text` cannot be a backend address, or null when it can: an http(s) URL without user info, query string or
 * fragment. The reason never repeats the secret parts.
 */
export function addressProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `expected an http(s) URL such as "${ADDRESS_EXAMPLE}"; got ${JSON.stringify(redactAddress(text))}`;
  }
  if (url.username || url.password || /\/\/[^/?#]*@/.test(text)) {
    return 'must not contain a user name or password (the address is shown in messages and logs): put them in a credentials folder and name it in credentials';
  }
  if (url.search || url.hash || /[?#]/.test(text)) {
    return `must not contain a query string or fragment (the engine sets its own query parameters, and the address is shown in messages and logs); got ${JSON.stringify(redactAddress(text))}`;
  }
  return null;
}

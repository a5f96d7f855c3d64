// What Slack's libraries log at debug level includes whole payloads: response_url (anyone holding it can post as
// the bot for 30 minutes), trigger_id, the legacy verification token, Socket Mode connection tickets, and
// possibly tokens. Their text is cleaned here before it reaches the bot's log.

const REDACTED = '[redacted]';

/** `"key":"value"` in JSON, also inside a JSON string (escaped quotes) and with Slack's escaped slashes. */
const JSON_FIELD = /(\\*"(?:response_url|trigger_id|token)\\*"\s*:\s*\\*")(?:[^"\\]|\\(?!\\*"))*/g;
/** `key=value` in a form body or a URL query. */
const FORM_FIELD = /\b(response_url|trigger_id|token|ticket)=[^&\s"'\\]*/g;
/** Incoming webhooks and response URLs, with plain, escaped or percent-encoded slashes. */
const HOOKS_URL = /\bhooks\.slack(?:-gov)?\.com(?:(?:\\*\/|%2F)[^\s"'\\&]*)*/gi;
/** Bot, user, refresh, configuration and app-level tokens. */
const TOKEN = /\b(?:xox[a-z]|xapp)[.-][\w.-]*/g;

/** The text with Slack's secrets replaced by "[redacted]". Pure. */
export function redactSlackSecrets(text: string): string {
  return text
    .replace(JSON_FIELD, `$1${REDACTED}`)
    .replace(FORM_FIELD, `$1=${REDACTED}`)
    .replace(HOOKS_URL, `hooks.slack.com/${REDACTED}`)
    .replace(TOKEN, REDACTED);
}

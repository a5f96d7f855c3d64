// Config validation errors in one form everywhere: each issue names the field and says what was expected.
import { z } from 'zod';

/** An invalid config. Each issue names the field and the expected form. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
  }
}

/** `config.metrics[1].direction` from a zod path. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${text}.${name}` : `${text}[${JSON.stringify(name)}]`;
  }, root);
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
};

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return JSON.stringify(value);
}

/** Messages in the form "expected <form>; got <value>" for issues the schema does not word itself. */
export function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return issue.input === undefined ? `is required (expected ${expected})` : `expected ${expected}; got ${describeValue(issue.input)}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}; got ${describeValue(issue.input)}`;
    case 'unrecognized_keys': {
      const allowed = issue.inst instanceof z.ZodObject ? `; allowed keys: ${Object.keys(issue.inst.shape).join(', ')}` : '';
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}${allowed}`;
    }
    case 'too_small':
      if (issue.origin === 'string') return `expected a non-empty string; got ""`;
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}; got none`;
      return undefined;
    default:
      return undefined;
  }
}

/** Parses `raw` with `schema`, or throws ConfigError with one "<path>: <message>" per issue. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, root: string): z.output<S> {
  const result = schema.safeParse(raw, { error: describeIssue, reportInput: true });
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => `${formatPath(root, issue.path)}: ${issue.message}`));
  return result.data;
}

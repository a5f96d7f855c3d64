// `${{ vars.image }}` in a Pipeline's texts: the run's variables, facts about the run, and outputs of earlier
// steps (`${{ steps.dev.tracking-issue.outputs.key }}`). Only names, no expressions: what a step writes is what a
// person reads in the Pipeline.

/** What a template may name. */
export type Reference =
  | { kind: 'vars'; name: string }
  | { kind: 'run'; name: RunFact }
  | { kind: 'pipeline'; name: 'name' }
  | { kind: 'steps'; stage: string; step: string; output: string };

export const RUN_FACTS = ['name', 'namespace', 'triggeredBy', 'url'] as const;
export type RunFact = (typeof RUN_FACTS)[number];

export class TemplateError extends Error {
  override name = 'TemplateError';
}

// Linear: a bounded run of non-braces between the delimiters, trimmed in code (a lazy \s* around it backtracks
// cubically on an unclosed `${{`).
const EXPRESSION = /\$\{\{([^}]{0,200})\}\}/g;
const WORD = '[A-Za-z0-9_-]+';
const FORMS = '${{ vars.<name> }}, ${{ run.name|namespace|triggeredBy|url }}, ${{ pipeline.name }} or ${{ steps.<stage>.<step>.outputs.<name> }}';

function parseReference(expression: string): Reference {
  const vars = new RegExp(`^vars\\.(${WORD})$`).exec(expression);
  if (vars) return { kind: 'vars', name: vars[1]! };
  const run = /^run\.(\w+)$/.exec(expression);
  if (run && (RUN_FACTS as readonly string[]).includes(run[1]!)) return { kind: 'run', name: run[1] as RunFact };
  if (expression === 'pipeline.name') return { kind: 'pipeline', name: 'name' };
  const step = new RegExp(`^steps\\.(${WORD})\\.(${WORD})\\.outputs\\.(${WORD})$`).exec(expression);
  if (step) return { kind: 'steps', stage: step[1]!, step: step[2]!, output: step[3]! };
  throw new TemplateError(`"\${{ ${expression} }}" is not a reference this pipeline can fill; expected ${FORMS}`);
}

function unclosed(text: string): void {
  if (text.replace(EXPRESSION, '').includes('${{')) throw new TemplateError(`"\${{" is not closed by "}}" within 200 characters; expected ${FORMS}`);
}

/** Every reference in `text`; throws TemplateError on one that is not of a known form, or a "${{" left open. */
export function references(text: string): Reference[] {
  unclosed(text);
  return [...text.matchAll(EXPRESSION)].map((match) => parseReference(match[1]!.trim()));
}

/** What the run knows when a step's texts are filled in. */
export interface TemplateScope {
  vars: Readonly<Record<string, string>>;
  run: Readonly<Record<RunFact, string>>;
  pipeline: { name: string };
  /** Outputs of finished steps: stage → step → output → value. */
  steps: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>;
}

/** `text` with every reference filled in; throws TemplateError naming one that has no value (yet). */
export function render(text: string, scope: TemplateScope): string {
  unclosed(text);
  return text.replace(EXPRESSION, (_, raw: string) => {
    const expression = raw.trim();
    const reference = parseReference(expression);
    const value = valueOf(reference, scope);
    if (value === undefined) throw new TemplateError(`"\${{ ${expression} }}" has no value: ${missingWhy(reference)}`);
    return value;
  });
}

function valueOf(reference: Reference, scope: TemplateScope): string | undefined {
  switch (reference.kind) {
    case 'vars':
      return Object.hasOwn(scope.vars, reference.name) ? scope.vars[reference.name] : undefined;
    case 'run':
      return scope.run[reference.name];
    case 'pipeline':
      return scope.pipeline.name;
    case 'steps': {
      const outputs = scope.steps[reference.stage]?.[reference.step];
      return outputs && Object.hasOwn(outputs, reference.output) ? outputs[reference.output] : undefined;
    }
  }
}

function missingWhy(reference: Reference): string {
  switch (reference.kind) {
    case 'vars':
      return `the run sets no variable "${reference.name}" and the pipeline gives it no default`;
    case 'steps':
      return `step ${reference.stage}/${reference.step} has not finished with an output "${reference.output}"`;
    default:
      return 'the run does not know it';
  }
}

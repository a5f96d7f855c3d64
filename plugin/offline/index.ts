// The offline judge as a library: parse an input once, evaluate it at any `now`. No I/O here; the
// `rollouts-cv judge` command (run.ts) adds stdin, files and JSON lines around it.
export { evaluateRequest } from './evaluate.js';
export { toOutput, type JudgeOutput, type MetricOutput } from './output.js';
export { parseJudgeRequest, type JudgeRequest } from './request.js';

// Kubernetes' rules for names, as the API server applies them: checked before a name goes into a request, a path
// or a label, so that input which names nothing is refused with the rule rather than sent.

/** A DNS label: a namespace, and most names that must fit in a label or a host name. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A DNS subdomain: the name of most objects (Rollouts, AnalysisRuns, Pipelines, …). */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

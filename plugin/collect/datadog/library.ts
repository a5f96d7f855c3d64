// Datadog's client library, loaded on first use: it brings the models of Datadog's whole API (over a second and
// tens of MB to load), which an engine without a Datadog source never needs.
export type DatadogLibrary = typeof import('@datadog/datadog-api-client');

let loading: Promise<DatadogLibrary> | undefined;

export function datadogLibrary(): Promise<DatadogLibrary> {
  return (loading ??= import('@datadog/datadog-api-client'));
}

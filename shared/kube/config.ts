import { KubeConfig } from '@kubernetes/client-node';

/** The in-cluster service account inside a pod, else KUBECONFIG or ~/.kube/config, optionally at one context. */
export function loadKubeConfig(context?: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromDefault();
  if (context) config.setCurrentContext(context);
  return config;
}

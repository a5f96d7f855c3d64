// The parts of Argo Rollouts' and Kubernetes' objects that the actions and the status summary read, as the API
// server returns them (JSON). Everything else is carried through untouched.

export const ROLLOUTS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'rollouts' } as const;
export const REPLICA_SETS = { group: 'apps', version: 'v1', plural: 'replicasets' } as const;
export const ANALYSIS_RUNS = { group: 'argoproj.io', version: 'v1alpha1', plural: 'analysisruns' } as const;
/** Label the controller puts on ReplicaSets and pods, and strips from a template restored by undo. */
export const POD_TEMPLATE_HASH_LABEL = 'rollouts-pod-template-hash';
export const REVISION_ANNOTATION = 'rollout.argoproj.io/revision';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { uid: string; controller?: boolean; kind?: string; name?: string }[];
  [key: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  [key: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [key: string]: unknown };
  spec?: { containers?: Container[]; initContainers?: Container[]; ephemeralContainers?: Container[]; [key: string]: unknown };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

export interface CanaryStep {
  setWeight?: number;
  pause?: { duration?: string | number };
  analysis?: unknown;
  experiment?: unknown;
  setCanaryScale?: unknown;
  plugin?: { name: string };
  [key: string]: unknown;
}

export interface Rollout {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: {
    replicas?: number;
    paused?: boolean;
    restartAt?: string;
    selector?: LabelSelector;
    template?: PodTemplate;
    workloadRef?: { apiVersion?: string; kind: string; name: string };
    strategy: {
      canary?: { steps?: CanaryStep[]; trafficRouting?: { maxTrafficWeight?: number; [key: string]: unknown }; [key: string]: unknown };
      blueGreen?: Record<string, unknown>;
    };
    [key: string]: unknown;
  };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string;
    controllerPause?: boolean;
    pauseConditions?: { reason: string; startTime?: string }[];
    currentStepIndex?: number;
    currentPodHash?: string;
    stableRS?: string;
    abort?: boolean;
    promoteFull?: boolean;
    restartedAt?: string;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    canary?: {
      weights?: { canary: { weight: number; podTemplateHash?: string }; stable: { weight: number; podTemplateHash?: string } };
      currentStepAnalysisRunStatus?: { name: string; status: string; message?: string };
      [key: string]: unknown;
    };
    blueGreen?: { activeSelector?: string; postPromotionAnalysisRunStatus?: { status: string } };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    [key: string]: unknown;
  };
}

/** A ReplicaSet as the status summary reads it: its owner, pod template hash label and available pods. */
export interface ReplicaSet {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  status?: { replicas?: number; availableReplicas?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** A Deployment or a ReplicaSet: a pod template under `spec.template`. */
export interface Workload {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: { template: PodTemplate; [key: string]: unknown };
}

import { describe, expect, it } from 'vitest';
import { PIPELINE_NAMESPACES_ANNOTATION, TargetError, targetGuard } from './targets.js';

const namespaces: Record<string, Record<string, string>> = {
  loans: { [PIPELINE_NAMESPACES_ANNOTATION]: 'releases, team-a' },
  argocd: { [PIPELINE_NAMESPACES_ANNOTATION]: '*' },
  'kube-system': {},
};
const guard = targetGuard(async (name) => namespaces[name] ?? null);

describe('targetGuard', () => {
  it('lets a run act in its own namespace and in those that allow its namespace', async () => {
    await expect(guard('anywhere', 'anywhere', 'rollout x')).resolves.toBeUndefined();
    await expect(guard('releases', 'loans', 'rollout loans/loans-api')).resolves.toBeUndefined();
    await expect(guard('team-b', 'argocd', 'Argo CD application argocd/x')).resolves.toBeUndefined();
  });

  it('refuses any other namespace, saying how its owner would allow it', async () => {
    await expect(guard('team-b', 'loans', 'rollout loans/loans-api')).rejects.toThrow(
      `rollout loans/loans-api is in namespace loans, which does not let pipeline runs of namespace team-b act there: its owner lists the namespaces it allows in the annotation ${PIPELINE_NAMESPACES_ANNOTATION}`,
    );
    await expect(guard('releases', 'kube-system', 'rollout kube-system/x')).rejects.toThrow(TargetError);
    await expect(guard('releases', 'nope', 'rollout nope/x')).rejects.toThrow('namespace nope does not exist');
  });
});

/**
 * What upstream's infra/gcp/bash/ensure-staging-storage.sh (kubernetes/k8s.io, commit
 * 0c6453682514e8fe314e98f1cd16325eb92c4a52) grants some dedicated staging projects beyond
 * the default, written as infra.yaml entries. Constants are upstream's infra/gcp/bash/lib.sh:
 * PROW_BUILD_SERVICE_ACCOUNT, RELEASE_EDITORS (RELEASE_MANAGERS), PROWJOB_POD_NAMESPACE (test-pods).
 *
 * The vulnerability-scanning grant of every staging project is stack configuration
 * (vulnerabilityScanningAccount), not an entry.
 */

/** An infra.yaml project entry, as written in the file. */
export type EntryData = Record<string, unknown>;

export interface SpecialCase {
  /** the script function that grants it */
  source: string;
  entry: EntryData;
}

const account = (id: string, project: string) => `${id}@${project}.iam.gserviceaccount.com`;

/** RELEASE_STAGING_PROJECTS (k8s-staging-kubernetes is declared from its Terraform instead). */
export const RELEASE_STAGING_PROJECTS = [
  "k8s-staging-artifact-promoter",
  "k8s-staging-build-image",
  "k8s-staging-ci-images",
  "k8s-staging-cip-test",
  "k8s-staging-experimental",
  "k8s-staging-publishing-bot",
  "k8s-staging-releng",
  "k8s-staging-releng-test",
];

const CAPG = "k8s-staging-cluster-api-gcp";
const CAPG_BUILDER = account("gcb-builder-cluster-api-gcp", CAPG);

/** Keyring grants of kustomize and krm-functions: the writers manage keys, the project's Cloud Build decrypts. */
function keyring(name: string, cloudBuildAccount: string): EntryData {
  const writers = `group:k8s-infra-staging-${name}@kubernetes.io`;
  const builder = `serviceAccount:${cloudBuildAccount}`;
  return {
    iam: [
      { role: "roles/cloudkms.admin", members: [writers] },
      { role: "roles/cloudkms.cryptoKeyDecrypter", members: [builder] },
      { role: "roles/cloudkms.cryptoKeyEncrypter", members: [writers] },
      { role: "roles/secretmanager.secretAccessor", members: [builder] },
    ],
  };
}

const COMPUTE = ["compute.googleapis.com", "oslogin.googleapis.com"];

const CASES: Record<string, SpecialCase> = {
  "k8s-staging-ci-images": {
    source: "staging_special_case__k8s_staging_ci_images",
    entry: { gcrIam: [{ role: "roles/artifactregistry.writer", members: ["serviceAccount:prow-build@k8s-infra-prow-build.iam.gserviceaccount.com"] }] },
  },
  [CAPG]: {
    source: "staging_special_case_services__k8s_staging_cluster_api_gcp, staging_special_case__k8s_staging_cluster_api_gcp",
    entry: {
      services: COMPUTE,
      iam: [{ role: "roles/compute.instanceAdmin.v1", members: [`serviceAccount:${CAPG_BUILDER}`] }],
      builderAccounts: {
        "gcb-builder-cluster-api-gcp": {
          workloadIdentityPool: "k8s-infra-prow-build-trusted.svc.id.goog",
          iam: [{ role: "roles/iam.serviceAccountUser", members: [`serviceAccount:${CAPG_BUILDER}`] }],
        },
      },
    },
  },
  "k8s-staging-kustomize": { source: "staging_special_case__k8s_staging_kustomize", entry: keyring("kustomize", "660796270509@cloudbuild.gserviceaccount.com") },
  "k8s-staging-krm-functions": {
    source: "staging_special_case__k8s_staging_krm_functions",
    entry: keyring("krm-functions", "415435679132@cloudbuild.gserviceaccount.com"),
  },
  "k8s-staging-releng-test": {
    source: "staging_special_case__k8s_staging_releng_test (its k8s-releng-prod grants are that project's own)",
    entry: { builderAccounts: { "gcb-builder-releng-test": { workloadIdentityPool: "k8s-infra-prow-build.svc.id.goog" } } },
  },
  "k8s-staging-sig-storage": { source: "staging_special_case_services__k8s_staging_sig_storage", entry: { services: COMPUTE } },
  "k8s-staging-experimental": {
    source: "ensure_release_manager_special_cases (ensure_private_gcs_bucket)",
    entry: {
      buckets: {
        "k8s-artifacts-system-packages-sandbox": {
          private: true,
          // ensure_private_gcs_bucket (infra/gcp/bash/lib_gcs.sh) sets no lifecycle: its objects are kept.
          keepObjects: true,
          iam: [{ role: "roles/storage.objectAdmin", members: ["group:k8s-infra-release-editors@kubernetes.io"] }],
        },
      },
    },
  },
};

/** The special cases of upstream's script, each release project with `release: true` merged in. */
export function specialCases(): Map<string, SpecialCase> {
  const out = new Map<string, SpecialCase>();
  for (const id of RELEASE_STAGING_PROJECTS) out.set(id, { source: "ensure_release_manager_special_cases", entry: { release: true } });
  for (const [id, c] of Object.entries(CASES)) {
    const prev = out.get(id);
    out.set(id, prev ? { source: `${prev.source}, ${c.source}`, entry: { release: true, ...c.entry } } : c);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

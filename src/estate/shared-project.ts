import { buildAccountId } from "../catalog/infra";
import { repositoryAddress, type SharedProject } from "../catalog/model";
import type { StackConfig } from "../config";
import { COMPONENT, ref, type EstateBuilder } from "./builder";
import type { ResourceDeclaration } from "./declaration";
import {
  applyBucketSettings,
  CI_POD_NAMESPACE,
  declareBucket,
  declareProject,
  declareRepository,
  declareServiceAccount,
  grantBucket,
  grantProject,
  grantRepository,
  grantSelfTokenCreator,
  grantServiceAccount,
  group,
  serviceAccount,
  serviceAccountEmail,
} from "./parts";
import { grantRelease } from "./release";
import type { ProjectSummary, RepositorySummary } from "./summary";

/**
 * APIs of a shared staging project (spec 4.2: artifactregistry, cloudbuild), plus
 * the two its own resources need: iam for the build accounts, storage-api for the bucket.
 */
export const SHARED_APIS = [
  "artifactregistry.googleapis.com",
  "cloudbuild.googleapis.com",
  "iam.googleapis.com",
  "storage-api.googleapis.com",
];

export { buildAccountId };

/** The CI pool's `test-pods` namespace as one principal set (upstream buckets.tf). */
export function ciPodsPrincipalSet(config: Pick<StackConfig, "ciPoolProjectNumber" | "ciWorkloadPool">): string {
  return `principalSet://iam.googleapis.com/projects/${config.ciPoolProjectNumber}/locations/global/workloadIdentityPools/${config.ciWorkloadPool}/namespace/${CI_POD_NAMESPACE}`;
}

/** A label value may hold only lowercase letters, digits, `_` and `-`. */
function labelValue(text: string): string {
  return text.replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

/** A shared staging project: one Artifact Registry repository, writers and build account per subproject. */
export function declareSharedProject(b: EstateBuilder, p: SharedProject, config: StackConfig): ProjectSummary {
  const component = b.component(COMPONENT.shared, p.id, { projectId: p.id });
  const core = declareProject(b, component, p, [...SHARED_APIS, ...p.services], config);
  const A = group(config.artifactAdminsGroup);
  const B = serviceAccount(config.ciBuilderServiceAccount);
  const P = serviceAccount(config.promoterServiceAccount);

  grantProject(b, core, "roles/viewer", A);
  grantProject(b, core, "roles/cloudbuild.builds.editor", B);
  if (p.release) grantRelease(b, core, config);

  const declaredBuckets = new Map<string, ResourceDeclaration>();
  if (p.buildBucket) {
    const name = `${p.id}-gcb`;
    const setting = p.buckets.find((s) => s.name === name);
    const retentionDays = setting?.retentionDays ?? config.sharedBuildBucketRetentionDays;
    const gcb = declareBucket(b, core, { name, retentionDays, accessLogs: false, versioning: setting?.versioning ?? false }, config);
    grantBucket(b, core, gcb, "roles/storage.admin", B);
    grantBucket(b, core, gcb, "roles/storage.admin", ciPodsPrincipalSet(config));
    declaredBuckets.set(name, gcb);
  }
  const extraBuckets = applyBucketSettings(b, core, p.buckets, declaredBuckets, config);

  const repositories = p.repositories.map((r): RepositorySummary => {
    const repo = declareRepository(b, core, {
      repositoryId: r.name,
      location: r.location,
      description: `Staging images of ${r.name}`,
      cleanup: r.cleanup,
      labels: { "staging-repository": labelValue(r.name) },
    });
    grantRepository(b, core, repo, "roles/artifactregistry.reader", "allUsers");
    grantRepository(b, core, repo, "roles/artifactregistry.reader", P);
    grantRepository(b, core, repo, "roles/artifactregistry.repoAdmin", A);
    if (r.writers) {
      grantRepository(b, core, repo, "roles/artifactregistry.writer", group(r.writers));
      grantProject(b, core, "roles/viewer", group(r.writers));
    }
    for (const account of r.writerAccounts) grantRepository(b, core, repo, "roles/artifactregistry.writer", serviceAccount(account));

    let builderAccount: string | undefined;
    if (r.buildAccount) {
      const accountId = buildAccountId(r.name);
      const account = declareServiceAccount(b, core, accountId, `Builds ${r.name}`.slice(0, 100), `Builds and pushes the staging images of ${r.name}`);
      grantRepository(b, core, repo, "roles/artifactregistry.writer", ref(account, "member"));
      grantServiceAccount(b, core, account, "roles/iam.serviceAccountUser", B);
      grantServiceAccount(b, core, account, "roles/iam.workloadIdentityUser", `serviceAccount:${config.ciWorkloadPool}[${CI_POD_NAMESPACE}/${r.name}]`);
      grantSelfTokenCreator(b, core, account);
      builderAccount = serviceAccountEmail(accountId, p.id);
    }
    return {
      name: r.name,
      registry: repositoryAddress(p.id, r),
      ...(r.writers ? { writersGroup: r.writers } : {}),
      writerAccounts: r.writerAccounts,
      ...(builderAccount ? { builderAccount } : {}),
      cleanupDays: r.cleanup.olderThanDays,
      cleanupDryRun: r.cleanup.dryRun,
    };
  });
  for (const g of p.iam) for (const m of g.members) grantProject(b, core, g.role, m);

  return {
    id: p.id,
    kind: "shared",
    component: component.urn,
    registries: repositories.map((r) => r.registry),
    buckets: [...declaredBuckets.values(), ...extraBuckets].map((bk) => `gs://${bk.name}`),
    writersGroups: [...new Set(repositories.flatMap((r) => (r.writersGroup ? [r.writersGroup] : [])))].sort(),
    builderAccounts: repositories.flatMap((r) => (r.builderAccount ? [r.builderAccount] : [])),
    repositories,
  };
}

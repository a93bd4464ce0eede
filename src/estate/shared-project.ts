import { buildAccountId } from "../catalog/infra";
import type { SharedProject } from "../catalog/model";
import type { StackConfig } from "../config";
import { COMPONENT, ref, type EstateBuilder } from "./builder";
import {
  declareBucket,
  declareProject,
  declareRepository,
  declareServiceAccount,
  grantBucket,
  grantProject,
  grantRepository,
  group,
  serviceAccount,
  serviceAccountEmail,
} from "./parts";
import { grantRelease } from "./release";
import type { ProjectSummary } from "./summary";

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

/** A shared staging project: one Artifact Registry repository, writers and build account per subproject. */
export function declareSharedProject(b: EstateBuilder, p: SharedProject, config: StackConfig): ProjectSummary {
  const component = b.component(COMPONENT.shared, p.id, { projectId: p.id });
  const core = declareProject(b, component, p.id, [...SHARED_APIS, ...p.services], config);
  const A = group(config.artifactAdminsGroup);
  const B = serviceAccount(config.ciBuilderServiceAccount);
  const P = serviceAccount(config.promoterServiceAccount);

  grantProject(b, core, "roles/viewer", A);
  if (p.release) grantRelease(b, core, config);
  for (const g of p.iam) for (const m of g.members) grantProject(b, core, g.role, m);

  const gcb = declareBucket(
    b,
    core,
    { name: `${p.id}-gcb`, retentionDays: config.sharedBuildBucketRetentionDays, accessLogs: false },
    config,
  );
  grantBucket(b, core, gcb, "roles/storage.admin", B);

  const repositories = p.repositories.map((r) => {
    const W = group(r.writers);
    const repo = declareRepository(b, core, {
      repositoryId: r.name,
      location: config.stagingRegion,
      description: `Staging images of ${r.name}`,
      cleanup: r.cleanup,
      labels: { "staging-repository": r.name },
    });
    grantRepository(b, core, repo, "roles/artifactregistry.reader", "allUsers");
    grantRepository(b, core, repo, "roles/artifactregistry.reader", P);
    grantRepository(b, core, repo, "roles/artifactregistry.writer", W);
    grantProject(b, core, "roles/viewer", W);

    const accountId = buildAccountId(r.name);
    const account = declareServiceAccount(b, core, accountId, `Builds ${r.name}`.slice(0, 100), `Builds and pushes the staging images of ${r.name}`);
    grantRepository(b, core, repo, "roles/artifactregistry.writer", ref(account, "member"));
    b.resource(
      "gcp:serviceaccount/iAMMember:IAMMember",
      `${p.id}/${accountId}/roles/iam.serviceAccountUser/${B}`,
      { serviceAccountId: ref(account, "name"), role: "roles/iam.serviceAccountUser", member: B },
      { parent: component },
    );
    const pod = `serviceAccount:${config.ciWorkloadPool}[test-pods/${r.name}]`;
    b.resource(
      "gcp:serviceaccount/iAMMember:IAMMember",
      `${p.id}/${accountId}/roles/iam.workloadIdentityUser/${pod}`,
      { serviceAccountId: ref(account, "name"), role: "roles/iam.workloadIdentityUser", member: pod },
      { parent: component },
    );
    return {
      name: r.name,
      registry: `${config.stagingRegion}-docker.pkg.dev/${p.id}/${r.name}`,
      writersGroup: r.writers,
      builderAccount: serviceAccountEmail(accountId, p.id),
      cleanupDays: r.cleanup.olderThanDays,
      cleanupDryRun: r.cleanup.dryRun,
    };
  });

  return {
    id: p.id,
    kind: "shared",
    component: component.urn,
    registries: repositories.map((r) => r.registry),
    buckets: [`gs://${p.id}-gcb`],
    writersGroups: [...new Set(repositories.map((r) => r.writersGroup))].sort(),
    builderAccounts: repositories.map((r) => r.builderAccount),
    repositories,
  };
}

import { IMAGE_BUILDER_ID } from "../catalog/infra";
import type { DedicatedProject } from "../catalog/model";
import type { StackConfig } from "../config";
import { COMPONENT, ref, type EstateBuilder } from "./builder";
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
import type { ProjectSummary } from "./summary";

/** The APIs every dedicated staging project enables (spec 4.1), before its own `services`. */
export const DEDICATED_APIS = [
  "artifactregistry.googleapis.com",
  "cloudasset.googleapis.com",
  "cloudbuild.googleapis.com",
  "cloudkms.googleapis.com",
  "containerregistry.googleapis.com",
  "iam.googleapis.com",
  "secretmanager.googleapis.com",
  "policytroubleshooter.googleapis.com",
  "storage-component.googleapis.com",
  "logging.googleapis.com",
  "pubsub.googleapis.com",
  "storage-api.googleapis.com",
  "iamcredentials.googleapis.com",
];

export const IMAGE_BUILDER = IMAGE_BUILDER_ID;

/** A dedicated staging project `k8s-staging-<name>`: registries, buckets, builder and grants. */
export function declareDedicatedProject(b: EstateBuilder, p: DedicatedProject, config: StackConfig): ProjectSummary {
  const component = b.component(COMPONENT.dedicated, p.id, { projectId: p.id });
  const core = declareProject(b, component, p, [...DEDICATED_APIS, ...p.services], config);
  const W = group(p.writers);
  const A = group(config.artifactAdminsGroup);
  const B = serviceAccount(config.ciBuilderServiceAccount);
  const P = serviceAccount(config.promoterServiceAccount);

  grantProject(b, core, "roles/viewer", W);
  grantProject(b, core, "roles/viewer", A);
  grantProject(b, core, "roles/cloudbuild.builds.editor", W);
  grantProject(b, core, "roles/serviceusage.serviceUsageConsumer", W);
  grantProject(b, core, "roles/cloudbuild.builds.builder", B);
  if (config.vulnerabilityScanningAccount)
    grantProject(b, core, "roles/containeranalysis.occurrences.viewer", serviceAccount(config.vulnerabilityScanningAccount));
  if (p.release) grantRelease(b, core, config);

  const gcr = declareRepository(b, core, {
    repositoryId: "gcr.io",
    location: "us",
    description: `gcr.io/${p.id}: staging images of ${p.name}`,
    // gcr.io/<project> keeps every image people pull by tag: its cleanup policy only reports (a dry run).
    cleanup: { olderThanDays: p.cleanup.olderThanDays, dryRun: true },
  });
  const regional = declareRepository(b, core, {
    repositoryId: "images",
    location: config.stagingRegion,
    description: `Staging images of ${p.name}`,
    cleanup: p.cleanup,
  });
  for (const repo of [gcr, regional]) {
    grantRepository(b, core, repo, "roles/artifactregistry.reader", "allUsers");
    grantRepository(b, core, repo, "roles/artifactregistry.reader", P);
    grantRepository(b, core, repo, "roles/artifactregistry.writer", W);
    grantRepository(b, core, repo, "roles/artifactregistry.repoAdmin", A);
  }
  for (const g of p.gcrIam) for (const m of g.members) grantRepository(b, core, gcr, g.role, m);

  // Both buckets are public-read, as upstream's ensure_staging_gcs_bucket makes them (ensure_public_gcs_bucket).
  const setting = (name: string) => p.buckets.find((s) => s.name === name);
  const retention = (name: string) => setting(name)?.retentionDays ?? config.bucketRetentionDays;
  const versioning = (name: string) => setting(name)?.versioning ?? false;
  const bucket = declareBucket(b, core, { name: p.id, retentionDays: retention(p.id), accessLogs: true, versioning: versioning(p.id) }, config);
  const gcb = declareBucket(b, core, { name: `${p.id}-gcb`, retentionDays: retention(`${p.id}-gcb`), accessLogs: false, versioning: versioning(`${p.id}-gcb`) }, config);
  for (const bk of [bucket, gcb]) {
    grantBucket(b, core, bk, "roles/storage.objectViewer", "allUsers");
    grantBucket(b, core, bk, "roles/storage.objectAdmin", A);
    grantBucket(b, core, bk, "roles/storage.legacyBucketOwner", A);
    grantBucket(b, core, bk, "roles/storage.objectAdmin", W);
    grantBucket(b, core, bk, "roles/storage.legacyBucketWriter", W);
  }
  grantBucket(b, core, gcb, "roles/storage.objectCreator", B);
  grantBucket(b, core, gcb, "roles/storage.objectViewer", B);
  const extraBuckets = applyBucketSettings(b, core, p.buckets, new Map([[p.id, bucket], [`${p.id}-gcb`, gcb]]), config);

  const builder = declareServiceAccount(
    b,
    core,
    IMAGE_BUILDER,
    "Image builder",
    `Builds and signs the staging images of ${p.name} in Cloud Build`,
  );
  grantSelfTokenCreator(b, core, builder);
  grantProject(b, core, "roles/cloudbuild.builds.editor", ref(builder, "member"));

  // Upstream's ensure_staging_gcb_builder_service_account: an account CI pods of one cluster run as.
  for (const a of p.builderAccounts) {
    const account = declareServiceAccount(b, core, a.accountId, a.accountId, `Used by CI (${a.workloadIdentityPool}) to use Cloud Build, write to the registries and buckets of ${p.id}`);
    const member = ref(account, "member");
    grantRepository(b, core, gcr, "roles/artifactregistry.writer", member);
    grantProject(b, core, "roles/cloudbuild.builds.builder", member);
    for (const bk of [bucket, gcb]) {
      grantBucket(b, core, bk, "roles/storage.objectCreator", member);
      grantBucket(b, core, bk, "roles/storage.objectViewer", member);
    }
    grantServiceAccount(b, core, account, "roles/iam.workloadIdentityUser", `serviceAccount:${a.workloadIdentityPool}[${CI_POD_NAMESPACE}/${a.accountId}]`);
    for (const g of a.iam) for (const m of g.members) grantServiceAccount(b, core, account, g.role, m);
  }
  // Catalog grants last: they may name the accounts above, and then wait for them.
  for (const g of p.iam) for (const m of g.members) grantProject(b, core, g.role, m);

  const gcrAddress = `gcr.io/${p.id}`;
  const regionalAddress = `${config.stagingRegion}-docker.pkg.dev/${p.id}/images`;
  return {
    id: p.id,
    kind: "dedicated",
    component: component.urn,
    registries: [gcrAddress, regionalAddress],
    buckets: [bucket, gcb, ...extraBuckets].map((bk) => `gs://${bk.name}`),
    writersGroups: [p.writers],
    builderAccounts: [IMAGE_BUILDER, ...p.builderAccounts.map((a) => a.accountId)].map((id) => serviceAccountEmail(id, p.id)),
    repositories: [],
  };
}

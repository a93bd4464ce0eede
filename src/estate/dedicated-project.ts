import type { DedicatedProject } from "../catalog/model";
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

export const IMAGE_BUILDER = "gcb-image-builder";

/** A dedicated staging project `k8s-staging-<name>`: registries, buckets, builder and grants. */
export function declareDedicatedProject(b: EstateBuilder, p: DedicatedProject, config: StackConfig): ProjectSummary {
  const component = b.component(COMPONENT.dedicated, p.id, { projectId: p.id });
  const core = declareProject(b, component, p.id, [...DEDICATED_APIS, ...p.services], config);
  const W = group(p.writers);
  const A = group(config.artifactAdminsGroup);
  const B = serviceAccount(config.ciBuilderServiceAccount);
  const P = serviceAccount(config.promoterServiceAccount);

  grantProject(b, core, "roles/viewer", W);
  grantProject(b, core, "roles/viewer", A);
  grantProject(b, core, "roles/cloudbuild.builds.editor", W);
  grantProject(b, core, "roles/serviceusage.serviceUsageConsumer", W);
  grantProject(b, core, "roles/cloudbuild.builds.builder", B);
  if (p.release) grantRelease(b, core, config);
  for (const g of p.iam) for (const m of g.members) grantProject(b, core, g.role, m);

  const gcr = declareRepository(b, core, {
    repositoryId: "gcr.io",
    location: "us",
    description: `gcr.io/${p.id}: staging images of ${p.name}`,
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
  }

  const bucket = declareBucket(b, core, { name: p.id, retentionDays: config.bucketRetentionDays, accessLogs: true }, config);
  grantBucket(b, core, bucket, "roles/storage.objectViewer", "allUsers");
  const gcb = declareBucket(b, core, { name: `${p.id}-gcb`, retentionDays: config.bucketRetentionDays, accessLogs: false }, config);
  for (const bk of [bucket, gcb]) {
    grantBucket(b, core, bk, "roles/storage.objectAdmin", A);
    grantBucket(b, core, bk, "roles/storage.legacyBucketOwner", A);
    grantBucket(b, core, bk, "roles/storage.objectAdmin", W);
    grantBucket(b, core, bk, "roles/storage.legacyBucketWriter", W);
  }
  grantBucket(b, core, gcb, "roles/storage.objectCreator", B);
  grantBucket(b, core, gcb, "roles/storage.objectViewer", B);

  const builder = declareServiceAccount(
    b,
    core,
    IMAGE_BUILDER,
    "Image builder",
    `Builds and signs the staging images of ${p.name} in Cloud Build`,
  );
  b.resource(
    "gcp:serviceaccount/iAMMember:IAMMember",
    `${p.id}/${IMAGE_BUILDER}/roles/iam.serviceAccountTokenCreator/self`,
    { serviceAccountId: ref(builder, "name"), role: "roles/iam.serviceAccountTokenCreator", member: ref(builder, "member") },
    { parent: component },
  );
  grantProject(b, core, "roles/cloudbuild.builds.editor", ref(builder, "member"));

  const gcrAddress = `gcr.io/${p.id}`;
  const regionalAddress = `${config.stagingRegion}-docker.pkg.dev/${p.id}/images`;
  return {
    id: p.id,
    kind: "dedicated",
    component: component.urn,
    registries: [gcrAddress, regionalAddress],
    buckets: [`gs://${p.id}`, `gs://${p.id}-gcb`],
    writersGroups: [p.writers],
    builderAccounts: [serviceAccountEmail(IMAGE_BUILDER, p.id)],
    repositories: [],
  };
}

import type { BucketSettings, Cleanup } from "../catalog/model";
import type { StackConfig } from "../config";
import { ref, type EstateBuilder } from "./builder";
import type { ComponentDeclaration, Deferred, ResourceDeclaration } from "./declaration";

/** Shared building blocks of the staging projects: every name is derived from ids here. */

export const DAY_SECONDS = 86_400;

/** Kubernetes namespace of CI pods (upstream lib.sh: PROWJOB_POD_NAMESPACE). */
export const CI_POD_NAMESPACE = "test-pods";

export type Member = string | Deferred;

export function group(email: string): string {
  return `group:${email}`;
}
export function serviceAccount(email: string): string {
  return `serviceAccount:${email}`;
}

function memberName(member: Member): string {
  return typeof member === "string" ? member : `${"ref" in member ? member.ref.split("::").pop() : member.lookup}.${member.output}`;
}

export interface ProjectCore {
  component: ComponentDeclaration;
  project: ResourceDeclaration;
  /** API name -> its Service declaration */
  services: Map<string, ResourceDeclaration>;
}

export function declareProject(
  b: EstateBuilder,
  component: ComponentDeclaration,
  entry: { id: string; folderId?: string },
  apis: string[],
  config: StackConfig,
): ProjectCore {
  const { id } = entry;
  const folderId = entry.folderId ?? config.folderId;
  const project = b.resource(
    "gcp:organizations/project:Project",
    id,
    {
      projectId: id,
      name: id,
      ...(folderId ? { folderId } : { orgId: config.organizationId }),
      billingAccount: config.billingAccount,
      // true: the provider leaves Compute alone (false would enable the Compute API just to delete the default network).
      autoCreateNetwork: true,
      deletionPolicy: "PREVENT",
      labels: { "managed-by": "pulumi", "k8s-infra": "staging" },
    },
    { parent: component, protect: true },
  );
  const services = new Map<string, ResourceDeclaration>();
  for (const api of [...new Set(apis)].sort()) {
    services.set(
      api,
      b.resource(
        "gcp:projects/service:Service",
        `${id}/${api}`,
        { project: id, service: api, disableOnDestroy: false, disableDependentServices: false },
        { parent: component, retainOnDelete: true, dependsOn: [project] },
      ),
    );
  }
  return { component, project, services };
}

/** The Service of `api` in the project: resources that need the API wait for it. */
export function api(core: ProjectCore, name: string): ResourceDeclaration {
  const s = core.services.get(name);
  if (!s) throw new Error(`${core.project.name} does not enable ${name}`);
  return s;
}

export function grantProject(b: EstateBuilder, core: ProjectCore, role: string, member: Member): void {
  b.resource(
    "gcp:projects/iAMMember:IAMMember",
    `${core.project.name}/${role}/${memberName(member)}`,
    { project: core.project.name, role, member },
    { parent: core.component, dependsOn: [core.project] },
  );
}

export interface RepositorySpec {
  repositoryId: string;
  location: string;
  description: string;
  cleanup?: Cleanup;
  labels?: Record<string, string>;
}

export function cleanupPolicies(cleanup: Cleanup) {
  return [
    {
      id: `delete-images-older-than-${cleanup.olderThanDays}-days`,
      action: "DELETE",
      condition: { tagState: "ANY", olderThan: `${cleanup.olderThanDays * DAY_SECONDS}s` },
    },
  ];
}

export function declareRepository(b: EstateBuilder, core: ProjectCore, spec: RepositorySpec): ResourceDeclaration {
  const id = core.project.name;
  return b.resource(
    "gcp:artifactregistry/repository:Repository",
    `${id}/${spec.repositoryId}`,
    {
      project: id,
      location: spec.location,
      repositoryId: spec.repositoryId,
      format: "DOCKER",
      description: spec.description,
      labels: { "managed-by": "pulumi", ...spec.labels },
      ...(spec.cleanup ? { cleanupPolicies: cleanupPolicies(spec.cleanup), cleanupPolicyDryRun: spec.cleanup.dryRun } : {}),
    },
    { parent: core.component, protect: true, dependsOn: [api(core, "artifactregistry.googleapis.com")] },
  );
}

export function grantRepository(b: EstateBuilder, core: ProjectCore, repo: ResourceDeclaration, role: string, member: Member): void {
  const inputs = repo.inputs as { repositoryId: string; location: string };
  b.resource(
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    `${repo.name}/${role}/${memberName(member)}`,
    { project: core.project.name, location: inputs.location, repository: inputs.repositoryId, role, member },
    { parent: core.component, dependsOn: [repo] },
  );
}

export interface BucketSpec {
  name: string;
  /** objects are deleted after this many days; absent: no lifecycle rule */
  retentionDays?: number;
  accessLogs: boolean;
  versioning?: boolean;
}

export function declareBucket(b: EstateBuilder, core: ProjectCore, spec: BucketSpec, config: StackConfig): ResourceDeclaration {
  return b.resource(
    "gcp:storage/bucket:Bucket",
    spec.name,
    {
      name: spec.name,
      project: core.project.name,
      location: config.bucketLocation,
      uniformBucketLevelAccess: true,
      forceDestroy: false,
      ...(spec.retentionDays !== undefined ? { lifecycleRules: [{ action: { type: "Delete" }, condition: { age: spec.retentionDays } }] } : {}),
      ...(spec.accessLogs ? { logging: { logBucket: config.accessLogBucket, logObjectPrefix: spec.name } } : {}),
      ...(spec.versioning ? { versioning: { enabled: true } } : {}),
      labels: { "managed-by": "pulumi" },
    },
    { parent: core.component, protect: true, dependsOn: [api(core, "storage-api.googleapis.com")] },
  );
}

export function grantBucket(b: EstateBuilder, core: ProjectCore, bucket: ResourceDeclaration, role: string, member: Member): void {
  b.resource(
    "gcp:storage/bucketIAMMember:BucketIAMMember",
    `${bucket.name}/${role}/${memberName(member)}`,
    { bucket: bucket.name, role, member },
    { parent: core.component, dependsOn: [bucket] },
  );
}

export function declareServiceAccount(
  b: EstateBuilder,
  core: ProjectCore,
  accountId: string,
  displayName: string,
  description: string,
): ResourceDeclaration {
  const account = b.resource(
    "gcp:serviceaccount/account:Account",
    `${core.project.name}/${accountId}`,
    { project: core.project.name, accountId, displayName, description },
    // Protected: a deleted account's grants turn into deleted:serviceAccount members, and its id cannot be reused for 30 days.
    { parent: core.component, protect: true, dependsOn: [api(core, "iam.googleapis.com")] },
  );
  // A catalog grant naming this account (e.g. a project `iam` entry) waits for it.
  b.declareMember(serviceAccount(serviceAccountEmail(accountId, core.project.name)), account);
  return account;
}

/** A grant on a service account: `member` may use it as `role`. */
export function grantServiceAccount(b: EstateBuilder, core: ProjectCore, account: ResourceDeclaration, role: string, member: Member): void {
  b.resource(
    "gcp:serviceaccount/iAMMember:IAMMember",
    `${account.name}/${role}/${memberName(member)}`,
    { serviceAccountId: ref(account, "name"), role, member },
    { parent: core.component, dependsOn: [account] },
  );
}

/** The account may mint tokens for itself (keyless signing of what it builds). */
export function grantSelfTokenCreator(b: EstateBuilder, core: ProjectCore, account: ResourceDeclaration): void {
  b.resource(
    "gcp:serviceaccount/iAMMember:IAMMember",
    `${account.name}/roles/iam.serviceAccountTokenCreator/self`,
    { serviceAccountId: ref(account, "name"), role: "roles/iam.serviceAccountTokenCreator", member: ref(account, "member") },
    { parent: core.component },
  );
}

/** Extra buckets and extra grants on default buckets, as the catalog entry says. */
export function applyBucketSettings(
  b: EstateBuilder,
  core: ProjectCore,
  settings: BucketSettings[],
  declared: Map<string, ResourceDeclaration>,
  config: StackConfig,
): ResourceDeclaration[] {
  const extra: ResourceDeclaration[] = [];
  for (const s of settings) {
    let bucket = declared.get(s.name);
    if (!bucket) {
      bucket = declareBucket(b, core, { name: s.name, retentionDays: s.retentionDays, accessLogs: false, versioning: s.versioning }, config);
      if (!s.private) grantBucket(b, core, bucket, "roles/storage.objectViewer", "allUsers");
      extra.push(bucket);
    }
    for (const g of s.iam) for (const m of g.members) grantBucket(b, core, bucket, g.role, m);
  }
  return extra;
}

export function serviceAccountEmail(accountId: string, projectId: string): string {
  return `${accountId}@${projectId}.iam.gserviceaccount.com`;
}

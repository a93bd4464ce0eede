/** The normalised, typed catalog: every default filled, every list sorted by id. */

/** What the catalog rules need from the stack configuration. */
export interface CatalogPolicy {
  domain: string;
  stagingRegion: string;
  /** The promoter's service account; a destination naming another account is an error. */
  promoterServiceAccount: string;
  /** Production registry roots, e.g. `us-central1-docker.pkg.dev/k8s-artifacts-prod/images`. */
  productionRegistries: string[];
  /** Default age, in days, after which repository versions are cleaned up. */
  repositoryRetentionDays: number;
  /** The organization of the estate: its custom roles are the only ones outside a project that may be granted. */
  organizationId: string;
  /** The bundled example estate may list `@example.com` people; a real estate refuses them. */
  exampleEstate: boolean;
}

export interface Cleanup {
  olderThanDays: number;
  dryRun: boolean;
}

export interface IamGrant {
  role: string;
  members: string[];
}

/** A bucket of the project beyond its defaults, or extra grants on a default bucket. */
export interface BucketSettings {
  name: string;
  iam: IamGrant[];
  /** extra buckets only: no public read */
  private: boolean;
  retentionDays?: number;
  /** extra buckets only: objects are kept forever (no lifecycle rule), as the entry says explicitly */
  keepObjects: boolean;
  /** keep noncurrent object versions (object versioning) */
  versioning: boolean;
}

interface ProjectCommon {
  id: string;
  /** The id without `k8s-staging-`. */
  name: string;
  /** create the project in this folder instead of the stack's organization or folder */
  folderId?: string;
  services: string[];
  release: boolean;
  iam: IamGrant[];
  cleanup: Cleanup;
  buckets: BucketSettings[];
}

/** A service account that CI jobs of a workload identity pool run as (upstream's `gcb-builder-<name>`). */
export interface BuilderAccount {
  accountId: string;
  workloadIdentityPool: string;
  /** grants on the account itself */
  iam: IamGrant[];
}

export interface DedicatedProject extends ProjectCommon {
  kind: "dedicated";
  writers: string;
  /** extra grants on the gcr.io repository (what upstream grants on its GCR) */
  gcrIam: IamGrant[];
  builderAccounts: BuilderAccount[];
}

export interface SharedRepository {
  name: string;
  /** the writers group; absent when service accounts push instead */
  writers?: string;
  /** service accounts that push instead of a writers group */
  writerAccounts: string[];
  location: string;
  /** whether the repository has its own `<repo>-sa` build account */
  buildAccount: boolean;
  cleanup: Cleanup;
}

export interface SharedProject extends ProjectCommon {
  kind: "shared";
  repositories: SharedRepository[];
  /** whether the project has the `<id>-gcb` bucket */
  buildBucket: boolean;
}

export type StagingProject = DedicatedProject | SharedProject;

export interface SkippedProject {
  id: string;
  managedBy: string;
}

export interface Image {
  name: string;
  /** digest -> tags (empty: promoted by digest only) */
  digests: { digest: string; tags: string[] }[];
}

export interface ImageSet {
  dir: string;
  images: Image[];
}

export interface Manifest {
  dir: string;
  source: string;
  destinations: string[];
}

export interface Owners {
  dir: string;
  approvers: string[];
  reviewers: string[];
}

export interface StagingGroup {
  email: string;
  name: string;
  description: string;
  /** The groups.yaml file that declares it, relative to the catalog. */
  file: string;
  members: string[];
  managers: string[];
}

export interface Catalog {
  projects: StagingProject[];
  skipped: SkippedProject[];
  imageSets: ImageSet[];
  manifests: Manifest[];
  owners: Owners[];
  /** Staging writers groups (`k8s-infra-staging-*`) from groups.yaml, by email. */
  groups: StagingGroup[];
}

export function stagingRegistries(project: StagingProject, policy: Pick<CatalogPolicy, "stagingRegion">): string[] {
  if (project.kind === "dedicated") return [`gcr.io/${project.id}`, `${policy.stagingRegion}-docker.pkg.dev/${project.id}/images`];
  return project.repositories.map((r) => repositoryAddress(project.id, r));
}

/** `gcr.io/<project>` for a gcr.io repository, else `<location>-docker.pkg.dev/<project>/<repo>`. */
export function repositoryAddress(projectId: string, r: Pick<SharedRepository, "name" | "location">): string {
  if (r.name.endsWith("gcr.io")) return `${r.name}/${projectId}`;
  return `${r.location}-docker.pkg.dev/${projectId}/${r.name}`;
}

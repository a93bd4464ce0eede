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
}

export interface Cleanup {
  olderThanDays: number;
  dryRun: boolean;
}

export interface IamGrant {
  role: string;
  members: string[];
}

interface ProjectCommon {
  id: string;
  /** The id without `k8s-staging-`. */
  name: string;
  services: string[];
  release: boolean;
  iam: IamGrant[];
  cleanup: Cleanup;
}

export interface DedicatedProject extends ProjectCommon {
  kind: "dedicated";
  writers: string;
}

export interface SharedRepository {
  name: string;
  writers: string;
  cleanup: Cleanup;
}

export interface SharedProject extends ProjectCommon {
  kind: "shared";
  repositories: SharedRepository[];
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
  const host = `${policy.stagingRegion}-docker.pkg.dev/${project.id}`;
  if (project.kind === "dedicated") return [`gcr.io/${project.id}`, `${host}/images`];
  return project.repositories.map((r) => `${host}/${r.name}`);
}

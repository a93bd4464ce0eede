import type { z } from "zod";
import { decode } from "./decode";
import type {
  BucketSettings,
  BuilderAccount,
  CatalogPolicy,
  Cleanup,
  IamGrant,
  SharedRepository,
  SkippedProject,
  StagingProject,
} from "./model";
import type { Problems } from "./problems";
import {
  bucketNameProblem,
  BUILD_ACCOUNT_NAME_MIN_LENGTH,
  emailProblem,
  EXAMPLE_DOMAIN_SUFFIX,
  EXAMPLE_REFUSAL,
  FOLDER_ID_PATTERN,
  GCR_REPOSITORIES,
  IMAGE_BUILDER_ID,
  isGcrRepository,
  locationProblem,
  MAX_CLEANUP_DAYS,
  memberProblem,
  MIN_CLEANUP_DAYS,
  projectIdProblem,
  repositoryIdProblem,
  roleProblem,
  SERVICE_ACCOUNT_EMAIL_SUFFIX,
  serviceAccountIdProblem,
  serviceProblem,
  STAGING_PREFIX,
  WORKLOAD_IDENTITY_POOL_PATTERN,
} from "./rules";
import { InfraFileSchema, type BucketEntrySchema, type CleanupSchema, type IamGrantSchema } from "./schemas";
import type { PathKey, YamlFile } from "./yaml";

/** Service account ids are at most 30 characters: a repository name is cut to 27 before `-sa`. */
export function buildAccountId(repo: string): string {
  return `${repo.slice(0, 27)}-sa`;
}

export const PROJECTS_PATH = ["infra", "staging", "projects"] as const;

export interface StagingSection {
  projects: StagingProject[];
  skipped: SkippedProject[];
}

type Report = (path: PathKey[], message: string, part?: "key" | "value") => void;

/** The account every dedicated project has (upstream's ensure_staging_gcb). */
export { IMAGE_BUILDER_ID };

/** Bucket names are global: each may be declared by one entry only. */
function checkBucketOwners(projects: StagingProject[], err: Report): void {
  const owner = new Map<string, string>();
  for (const p of projects) {
    const defaults = p.kind === "dedicated" ? [p.id, `${p.id}-gcb`] : p.buildBucket ? [`${p.id}-gcb`] : [];
    for (const name of defaults) owner.set(name, p.id);
  }
  for (const p of projects) {
    for (const b of p.buckets) {
      const first = owner.get(b.name);
      if (first === undefined) owner.set(b.name, p.id);
      else if (first !== p.id)
        err([p.id, "buckets", b.name], `bucket ${b.name} is already declared by ${first} (bucket names are global); configure it in that entry or choose another name`, "key");
    }
  }
}

/** Reads `infra.staging` of infra.yaml into normalised staging projects. */
export function readInfra(file: YamlFile, policy: CatalogPolicy, problems: Problems): StagingSection | undefined {
  const data = decode(file, InfraFileSchema, problems);
  if (!data) return undefined;
  const section = data.infra.staging;
  const entries = Object.entries(section.projects ?? {});
  if (entries.length === 0) {
    problems.error(
      file.file,
      file.at(["infra", "staging", "projects"], "key"),
      "infra.staging.projects is empty; list at least one staging project (an empty list would delete the whole estate)",
    );
    return undefined;
  }
  const projects: StagingProject[] = [];
  const skipped: SkippedProject[] = [];
  const before = problems.errorCount;
  const err: Report = (path, message, part = "value") => problems.error(file.file, file.at([...PROJECTS_PATH, ...path], part), message);

  for (const [id, raw] of entries) {
    const entry = raw ?? {};
    const idProblem = projectIdProblem(id);
    if (idProblem) err([id], idProblem, "key");
    if (entry.managed_by !== undefined && entry.managed_by !== section.managed_by) {
      skipped.push({ id, managedBy: entry.managed_by });
      problems.note(file.file, file.at([...PROJECTS_PATH, id], "key"), `${id} is managed by ${entry.managed_by}; skipped`);
      continue;
    }
    const name = id.slice(STAGING_PREFIX.length);
    const services = [...new Set(entry.services ?? [])].sort();
    (entry.services ?? []).forEach((s, i) => {
      const p = serviceProblem(s);
      if (p) err([id, "services", i], p);
    });
    if (entry.folderId !== undefined && !FOLDER_ID_PATTERN.test(entry.folderId)) err([id, "folderId"], `folderId "${entry.folderId}" must be a numeric folder id`);
    const iam = readGrants(entry.iam, [id, "iam"], err, policy, { projectId: id });
    const cleanup = readCleanup(entry.cleanup, { olderThanDays: policy.repositoryRetentionDays, dryRun: false }, [id, "cleanup"], err);
    const buckets = readBuckets(entry.buckets, id, err, policy);
    const common = {
      id,
      name,
      services,
      release: entry.release ?? false,
      iam,
      cleanup,
      buckets,
      ...(entry.folderId !== undefined ? { folderId: entry.folderId } : {}),
    };
    const writersProblem = (writers: string, at: PathKey[]) => {
      const ep = emailProblem(writers);
      if (ep) err(at, `writers ${ep}`);
      else if (writers.split("@")[1] !== policy.domain)
        err(at, `writers ${writers} must be a group of the stack's domain ${policy.domain}; a service account that pushes goes in writerAccounts`);
      else if (writers !== writers.toLowerCase()) err(at, `writers ${writers} must be written in lowercase`);
    };

    if (entry.repositories !== undefined) {
      for (const key of ["writers", "gcrIam", "builderAccounts"] as const) {
        if (entry[key] !== undefined)
          err([id, key], `${key} applies to a dedicated project; ${id} has repositories (a shared project): set them per repository`, "key");
      }
      if (entry.buildBucket === false && buckets.some((b) => b.name === `${id}-gcb`))
        err([id, "buckets", `${id}-gcb`], `${id} sets buildBucket: false, so it has no ${id}-gcb bucket to configure`, "key");
      const repoEntries = Object.entries(entry.repositories);
      if (repoEntries.length === 0) err([id, "repositories"], `repositories of ${id} is empty; list at least one repository`, "key");
      const accounts = new Map<string, string>();
      const repositories: SharedRepository[] = repoEntries.map(([repo, r]) => {
        const at: PathKey[] = [id, "repositories", repo];
        const buildAccount = r?.buildAccount ?? true;
        const rp = repositoryIdProblem(repo);
        if (rp) err(at, rp, "key");
        else if (buildAccount && (repo.includes(".") || repo.length < BUILD_ACCOUNT_NAME_MIN_LENGTH))
          err(at, `repository "${repo}" cannot name a build account "${buildAccountId(repo)}"; set buildAccount: false`, "key");
        if (buildAccount) {
          const account = buildAccountId(repo);
          const clash = accounts.get(account);
          if (clash !== undefined)
            err(at, `repositories "${clash}" and "${repo}" would share the build account ${account} (names are cut to 27 characters); rename one`, "key");
          accounts.set(account, repo);
        }
        const location = r?.location ?? (isGcrRepository(repo) ? GCR_REPOSITORIES[repo]! : policy.stagingRegion);
        const lp = locationProblem(location);
        if (lp) err([...at, "location"], lp);
        else if (isGcrRepository(repo) && location !== GCR_REPOSITORIES[repo])
          err([...at, "location"], `repository ${repo} serves a gcr.io host and must be in location ${GCR_REPOSITORIES[repo]}`);
        if (r?.writers !== undefined && r.writerAccounts !== undefined)
          err([...at, "writerAccounts"], `set either writers (a group) or writerAccounts (service accounts) for ${repo}, not both`, "key");
        const writerAccounts = [...new Set(r?.writerAccounts ?? [])].sort();
        (r?.writerAccounts ?? []).forEach((a, i) => {
          const ap = emailProblem(a);
          if (ap) err([...at, "writerAccounts", i], `writerAccounts entry ${ap}`);
          else if (!a.endsWith(SERVICE_ACCOUNT_EMAIL_SUFFIX)) err([...at, "writerAccounts", i], `writerAccounts entry ${a} must be a service account (…gserviceaccount.com); people push through a writers group`);
        });
        if (r?.writers !== undefined) writersProblem(r.writers, [...at, "writers"]);
        const writers = r?.writerAccounts !== undefined ? undefined : (r?.writers ?? `k8s-infra-staging-${repo}@${policy.domain}`);
        const repoCleanup = readCleanup(r?.cleanup, cleanup, [...at, "cleanup"], err);
        return { name: repo, ...(writers !== undefined ? { writers } : {}), writerAccounts, location, buildAccount, cleanup: repoCleanup };
      });
      repositories.sort((a, b) => (a.name < b.name ? -1 : 1));
      projects.push({ kind: "shared", ...common, repositories, buildBucket: entry.buildBucket ?? true });
    } else {
      if (entry.buildBucket !== undefined) err([id, "buildBucket"], `buildBucket applies to a shared project; a dedicated project always has ${id}-gcb`, "key");
      const writers = entry.writers ?? `k8s-infra-staging-${name}@${policy.domain}`;
      if (entry.writers !== undefined) writersProblem(entry.writers, [id, "writers"]);
      const gcrIam = readGrants(entry.gcrIam, [id, "gcrIam"], err, policy);
      const builderAccounts: BuilderAccount[] = Object.entries(entry.builderAccounts ?? {}).map(([accountId, a]) => {
        const at: PathKey[] = [id, "builderAccounts", accountId];
        const sp = serviceAccountIdProblem(accountId);
        if (sp) err(at, sp, "key");
        else if (accountId === IMAGE_BUILDER_ID) err(at, `${accountId} is the project's own image builder; name the CI account otherwise (upstream: gcb-builder-<name>)`, "key");
        if (!a) {
          err(at, `builder account ${accountId} must set workloadIdentityPool (the CI cluster whose pods run as it)`, "key");
          return { accountId, workloadIdentityPool: "", iam: [] };
        }
        if (!WORKLOAD_IDENTITY_POOL_PATTERN.test(a.workloadIdentityPool))
          err([...at, "workloadIdentityPool"], `workloadIdentityPool "${a.workloadIdentityPool}" must be a pool such as k8s-infra-prow-build.svc.id.goog`);
        return { accountId, workloadIdentityPool: a.workloadIdentityPool, iam: readGrants(a.iam, [...at, "iam"], err, policy) };
      });
      builderAccounts.sort((a, b) => (a.accountId < b.accountId ? -1 : 1));
      projects.push({ kind: "dedicated", ...common, writers, gcrIam, builderAccounts });
    }
  }
  checkBucketOwners(projects, err);
  if (problems.errorCount > before) return undefined;
  projects.sort((a, b) => (a.id < b.id ? -1 : 1));
  skipped.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { projects, skipped };
}

/** Additive grants `[{role, members}]`; project grants also check the role against the project. */
function readGrants(
  raw: z.output<typeof IamGrantSchema>[] | undefined,
  at: PathKey[],
  err: Report,
  policy: CatalogPolicy,
  project?: { projectId: string },
): IamGrant[] {
  return (raw ?? []).map((g, i) => {
    const scope = project ? { projectId: project.projectId, organizationId: policy.organizationId, members: g.members } : undefined;
    const rp = roleProblem(g.role, scope);
    if (rp) err([...at, i, "role"], rp);
    g.members.forEach((m, j) => {
      const mp = memberProblem(m);
      if (mp) err([...at, i, "members", j], mp);
      else if (!policy.exampleEstate && m.toLowerCase().endsWith(EXAMPLE_DOMAIN_SUFFIX)) err([...at, i, "members", j], `${m} ${EXAMPLE_REFUSAL}`);
    });
    return { role: g.role, members: [...new Set(g.members)].sort() };
  });
}

function readBuckets(
  raw: Record<string, z.output<typeof BucketEntrySchema>> | undefined,
  projectId: string,
  err: Report,
  policy: CatalogPolicy,
): BucketSettings[] {
  const defaults = [projectId, `${projectId}-gcb`];
  return Object.entries(raw ?? {})
    .map(([name, b]) => {
      const at: PathKey[] = [projectId, "buckets", name];
      const np = bucketNameProblem(name);
      if (np) err(at, np, "key");
      if (defaults.includes(name) && b?.private !== undefined)
        err([...at, "private"], `${name} is a default staging bucket: its public read is part of the staging design; only iam and retentionDays may be set`, "key");
      if (b?.retentionDays !== undefined && (b.retentionDays < MIN_CLEANUP_DAYS || b.retentionDays > MAX_CLEANUP_DAYS))
        err([...at, "retentionDays"], `retentionDays must be ${MIN_CLEANUP_DAYS} to ${MAX_CLEANUP_DAYS}`);
      const keepObjects = b?.keepObjects ?? false;
      if (defaults.includes(name)) {
        if (b?.keepObjects !== undefined)
          err([...at, "keepObjects"], `${name} is a default staging bucket: its objects are deleted after retentionDays (the stack's bucket retention by default); keepObjects applies to extra buckets`, "key");
      } else if (keepObjects && b?.retentionDays !== undefined) {
        err([...at, "keepObjects"], `set either retentionDays or keepObjects: true for ${name}, not both`, "key");
      } else if (!keepObjects && b?.retentionDays === undefined) {
        err(at, `extra bucket ${name} must say how long its objects live: retentionDays: N (${MIN_CLEANUP_DAYS} to ${MAX_CLEANUP_DAYS}), or keepObjects: true to keep them with no lifecycle rule`, "key");
      }
      const iam = readGrants(b?.iam, [...at, "iam"], err, policy);
      return {
        name,
        iam,
        private: b?.private ?? !defaults.includes(name),
        keepObjects,
        versioning: b?.versioning ?? false,
        ...(b?.retentionDays !== undefined ? { retentionDays: b.retentionDays } : {}),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

function readCleanup(raw: z.output<typeof CleanupSchema> | undefined, fallback: Cleanup, at: PathKey[], err: Report): Cleanup {
  if (!raw) return fallback;
  const days = raw.olderThanDays ?? fallback.olderThanDays;
  if (raw.olderThanDays !== undefined && (days < MIN_CLEANUP_DAYS || days > MAX_CLEANUP_DAYS))
    err([...at, "olderThanDays"], `cleanup.olderThanDays must be ${MIN_CLEANUP_DAYS} to ${MAX_CLEANUP_DAYS} (it is ${days})`);
  return { olderThanDays: days, dryRun: raw.dryRun ?? fallback.dryRun };
}

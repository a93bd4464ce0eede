import type { z } from "zod";
import { decode } from "./decode";
import type { CatalogPolicy, Cleanup, IamGrant, SharedRepository, SkippedProject, StagingProject } from "./model";
import type { Problems } from "./problems";
import {
  emailProblem,
  memberProblem,
  projectIdProblem,
  repositoryIdProblem,
  roleProblem,
  serviceProblem,
  STAGING_PREFIX,
} from "./rules";
import { InfraFileSchema, type CleanupSchema } from "./schemas";

/** Service account ids are at most 30 characters: a repository name is cut to 27 before `-sa`. */
export function buildAccountId(repo: string): string {
  return `${repo.slice(0, 27)}-sa`;
}
import type { PathKey, YamlFile } from "./yaml";

export const PROJECTS_PATH = ["infra", "staging", "projects"] as const;

export interface StagingSection {
  projects: StagingProject[];
  skipped: SkippedProject[];
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
  const err = (path: PathKey[], message: string, part: "key" | "value" = "value") =>
    problems.error(file.file, file.at([...PROJECTS_PATH, ...path], part), message);

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
    const iam: IamGrant[] = (entry.iam ?? []).map((g, i) => {
      const rp = roleProblem(g.role);
      if (rp) err([id, "iam", i, "role"], rp);
      g.members.forEach((m, j) => {
        const mp = memberProblem(m);
        if (mp) err([id, "iam", i, "members", j], mp);
      });
      return { role: g.role, members: [...new Set(g.members)].sort() };
    });
    const cleanup = readCleanup(entry.cleanup, { olderThanDays: policy.repositoryRetentionDays, dryRun: false }, (m) =>
      err([id, "cleanup", "olderThanDays"], m),
    );
    const common = { id, name, services, release: entry.release ?? false, iam, cleanup };

    if (entry.repositories !== undefined) {
      if (entry.writers !== undefined)
        err([id, "writers"], `writers applies to a dedicated project; for the shared project ${id} set writers on each repository`, "key");
      const repoEntries = Object.entries(entry.repositories);
      if (repoEntries.length === 0) err([id, "repositories"], `repositories of ${id} is empty; list at least one repository`, "key");
      const accounts = new Map<string, string>();
      const repositories: SharedRepository[] = repoEntries.map(([repo, r]) => {
        const rp = repositoryIdProblem(repo);
        if (rp) err([id, "repositories", repo], rp, "key");
        else if (repo.length < 3) err([id, "repositories", repo], `repository name "${repo}" must have at least 3 characters: its build account "${repo}-sa" needs 6`, "key");
        const account = buildAccountId(repo);
        const clash = accounts.get(account);
        if (clash !== undefined)
          err([id, "repositories", repo], `repositories "${clash}" and "${repo}" would share the build account ${account} (names are cut to 27 characters); rename one`, "key");
        accounts.set(account, repo);
        const writers = r?.writers ?? `k8s-infra-staging-${repo}@${policy.domain}`;
        if (r?.writers !== undefined) {
          const ep = emailProblem(r.writers);
          if (ep) err([id, "repositories", repo, "writers"], `writers ${ep}`);
        }
        const repoCleanup = readCleanup(r?.cleanup, cleanup, (m) => err([id, "repositories", repo, "cleanup", "olderThanDays"], m));
        return { name: repo, writers, cleanup: repoCleanup };
      });
      repositories.sort((a, b) => (a.name < b.name ? -1 : 1));
      projects.push({ kind: "shared", ...common, repositories });
    } else {
      const writers = entry.writers ?? `k8s-infra-staging-${name}@${policy.domain}`;
      if (entry.writers !== undefined) {
        const ep = emailProblem(entry.writers);
        if (ep) err([id, "writers"], `writers ${ep}`);
      }
      projects.push({ kind: "dedicated", ...common, writers });
    }
  }
  if (problems.errorCount > before) return undefined;
  projects.sort((a, b) => (a.id < b.id ? -1 : 1));
  skipped.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { projects, skipped };
}

function readCleanup(
  raw: z.output<typeof CleanupSchema> | undefined,
  fallback: Cleanup,
  report: (message: string) => void,
): Cleanup {
  if (!raw) return fallback;
  if (raw.olderThanDays < 1) report("cleanup.olderThanDays must be at least 1");
  return { olderThanDays: raw.olderThanDays, dryRun: raw.dryRun ?? false };
}

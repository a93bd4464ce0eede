import type { Catalog } from "../catalog/model";
import type { GuardResource } from "../policy/rules";

/**
 * Who can push where, from the estate's declarations (the plan with account references
 * resolved, as `npm run policy` sees it) and the catalog's groups; never from the cloud.
 */

/** Roles that let a member push to a repository when granted on it. */
export const REPOSITORY_WRITE_ROLES = ["roles/artifactregistry.writer", "roles/artifactregistry.repoAdmin", "roles/artifactregistry.admin", "roles/artifactregistry.createOnPushWriter"];
/** Roles that let a member push to every repository of a project when granted on the project. */
export const PROJECT_WRITE_ROLES = [...REPOSITORY_WRITE_ROLES, "roles/owner", "roles/editor"];
/** Roles that let a member act as a service account. */
export const ACT_AS_ROLES = ["roles/iam.serviceAccountUser", "roles/iam.serviceAccountTokenCreator", "roles/iam.workloadIdentityUser"];

export interface Registry {
  address: string;
  project: string;
  location: string;
  repository: string;
}

export type Scope = { kind: "repository"; registry: Registry } | { kind: "project"; project: string } | { kind: "serviceAccount"; email: string; project: string };

export interface Grant {
  member: string;
  role: string;
  scope: Scope;
}

export interface GroupEntry {
  members: string[];
  managers: string[];
}

export interface Access {
  registries: Registry[];
  grants: Grant[];
  groups: Map<string, GroupEntry>;
}

/** The address images are pushed to: gcr.io-domain repositories by their host, the rest as LOCATION-docker.pkg.dev/PROJECT/REPOSITORY. */
export function registryAddress(project: string, location: string, repositoryId: string): string {
  return /(^|\.)gcr\.io$/.test(repositoryId) ? `${repositoryId}/${project}` : `${location}-docker.pkg.dev/${project}/${repositoryId}`;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const lower = (s: string) => s.toLowerCase();

/** The email of a member string (`user:`, `group:`, `serviceAccount:` or none), lower case. */
export function memberEmail(member: string): string {
  return lower(member.replace(/^(user|group|serviceAccount|domain|principal|principalSet):/, ""));
}

export function accessOf(resources: GuardResource[], catalog: Catalog): Access {
  const registries: Registry[] = [];
  const grants: Grant[] = [];
  for (const r of resources) {
    const p = r.props;
    if (r.type === "gcp:artifactregistry/repository:Repository") {
      const [project, location, repository] = [str(p.project), str(p.location), str(p.repositoryId)];
      if (project && location && repository) registries.push({ address: registryAddress(project, location, repository), project, location, repository });
    }
  }
  const byKey = new Map(registries.map((g) => [`${g.project}/${g.location}/${g.repository}`, g]));
  for (const r of resources) {
    const p = r.props;
    const [member, role] = [str(p.member), str(p.role)];
    if (!member || !role) continue;
    if (r.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember") {
      const registry = byKey.get(`${str(p.project)}/${str(p.location)}/${str(p.repository)}`);
      if (registry) grants.push({ member, role, scope: { kind: "repository", registry } });
    } else if (r.type === "gcp:projects/iAMMember:IAMMember") {
      const project = str(p.project);
      if (project) grants.push({ member, role, scope: { kind: "project", project } });
    } else if (r.type === "gcp:serviceaccount/iAMMember:IAMMember") {
      const m = /^projects\/([^/]+)\/serviceAccounts\/(.+)$/.exec(str(p.serviceAccountId) ?? "");
      if (m) grants.push({ member, role, scope: { kind: "serviceAccount", project: m[1]!, email: lower(m[2]!) } });
    }
  }
  const groups = new Map<string, GroupEntry>();
  for (const g of catalog.groups) groups.set(lower(g.email), { members: g.members.map(lower), managers: g.managers.map(lower) });
  return { registries, grants, groups };
}

export function findRegistry(access: Access, address: string): Registry | undefined {
  const want = address.replace(/^https?:\/\//, "").replace(/\/+$/, "").toLowerCase();
  return access.registries.find((r) => r.address.toLowerCase() === want);
}

/** Who writes to the registry: repository grants and project grants of a write role. */
export function writeGrants(access: Access, registry: Registry): Grant[] {
  return access.grants.filter(
    (g) =>
      (g.scope.kind === "repository" && g.scope.registry === registry && REPOSITORY_WRITE_ROLES.includes(g.role)) ||
      (g.scope.kind === "project" && g.scope.project === registry.project && PROJECT_WRITE_ROLES.includes(g.role)),
  );
}

/** Who may act as the account: act-as grants on it or on its project (its own grants to itself add no one). */
export function actAsGrants(access: Access, accountEmail: string): Grant[] {
  const email = lower(accountEmail);
  const project = /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1];
  return access.grants.filter(
    (g) =>
      ACT_AS_ROLES.includes(g.role) &&
      memberEmail(g.member) !== email &&
      ((g.scope.kind === "serviceAccount" && g.scope.email === email) || (g.scope.kind === "project" && g.scope.project === project)),
  );
}

export function scopeText(scope: Scope): string {
  if (scope.kind === "repository") return `on repository ${scope.registry.address}`;
  if (scope.kind === "project") return `on project ${scope.project}`;
  return `on service account ${scope.email}`;
}

/** The member string an email in groups.yaml stands for. */
function memberOf(access: Access, email: string): string {
  if (access.groups.has(email)) return `group:${email}`;
  if (email.endsWith(".gserviceaccount.com")) return `serviceAccount:${email}`;
  return `user:${email}`;
}

function groupLines(access: Access, member: string, indent: string): string[] {
  const entry = member.startsWith("group:") ? access.groups.get(memberEmail(member)) : undefined;
  if (!entry) return member.startsWith("group:") ? [`${indent}(not a group of the catalog; its members are not known here)`] : [];
  const lines = [...entry.members.map((m) => `${indent}${memberOf(access, m)} (member)`), ...entry.managers.map((m) => `${indent}${memberOf(access, m)} (manager)`)];
  return lines.length > 0 ? lines : [`${indent}(no members)`];
}

/** One line per path to the registry, with the group's people or who may act as the account beneath it. */
export function registryReport(access: Access, registry: Registry): string[] {
  const lines: string[] = [];
  for (const g of writeGrants(access, registry)) {
    lines.push(`${g.member}  ${g.role} ${scopeText(g.scope)}`);
    lines.push(...groupLines(access, g.member, "  "));
    if (g.member.startsWith("serviceAccount:")) {
      const actors = actAsGrants(access, memberEmail(g.member));
      if (actors.length === 0) lines.push("  (no one is granted to act as it)");
      for (const a of actors) {
        lines.push(`  ${a.member}  ${a.role} ${scopeText(a.scope)} (may act as it)`);
        lines.push(...groupLines(access, a.member, "    "));
      }
    }
  }
  return lines;
}

export interface Reach {
  registry: Registry;
  role: string;
  scope: Scope;
  /** how the member holds the grant, e.g. "directly", "through group:g (member)" */
  path: string;
}

/** Whether the email appears anywhere in the estate: a grant, a group, a registry's account. */
export function knownMember(access: Access, email: string): boolean {
  const e = lower(email);
  return access.grants.some((g) => memberEmail(g.member) === e || (g.scope.kind === "serviceAccount" && g.scope.email === e)) || access.groups.has(e) || [...access.groups.values()].some((g) => g.members.includes(e) || g.managers.includes(e));
}

/** Every registry the member can push to, and how. */
export function memberReach(access: Access, email: string): Reach[] {
  const e = memberEmail(email);
  // identities the member holds: itself, and each group listing it
  const holds: { id: string; path: string }[] = [{ id: e, path: "directly" }];
  for (const [group, entry] of access.groups) {
    if (entry.members.includes(e)) holds.push({ id: group, path: `through group:${group} (member)` });
    if (entry.managers.includes(e)) holds.push({ id: group, path: `through group:${group} (manager)` });
  }
  // service accounts it may act as
  const accounts = new Set<string>();
  for (const g of access.grants) if (g.scope.kind === "serviceAccount") accounts.add(g.scope.email);
  for (const g of access.grants) if (g.member.startsWith("serviceAccount:")) accounts.add(memberEmail(g.member));
  for (const account of [...accounts].sort()) {
    if (account === e) continue;
    for (const a of actAsGrants(access, account)) {
      const via = holds.find((h) => h.id === memberEmail(a.member));
      if (via) holds.push({ id: account, path: `acting as serviceAccount:${account} (${a.role} ${scopeText(a.scope)}${via.path === "directly" ? "" : ", " + via.path})` });
    }
  }
  const out: Reach[] = [];
  for (const registry of access.registries)
    for (const g of writeGrants(access, registry))
      for (const h of holds) if (memberEmail(g.member) === h.id) out.push({ registry, role: g.role, scope: g.scope, path: h.path });
  return out;
}

export function reachReport(reach: Reach[]): string[] {
  return reach.map((r) => `${r.registry.address}  ${r.role}${r.scope.kind === "repository" ? "" : " " + scopeText(r.scope)}, ${r.path}`);
}

/**
 * Every way into each registry, flattened to one text per pusher: a grant's member, and beneath
 * it each person of its group or each identity that may act as its account, with the path.
 */
export function writeAccessByRegistry(access: Access): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const registry of access.registries) {
    const entries = new Set<string>();
    let top = "";
    let mid = "";
    for (const line of registryReport(access, registry)) {
      const depth = line.length - line.trimStart().length;
      const text = line.trim();
      if (text.startsWith("(")) continue;
      if (depth === 0) {
        top = text.split("  ")[0]!;
        entries.add(`${top} (${text.split("  ")[1]})`);
      } else if (depth === 2) {
        mid = text.split("  ")[0]!.replace(/ \((member|manager)\)$/, "");
        entries.add(`${text.replace(/  roles\/\S+ on service account \S+ \(may act as it\)$/, " (may act as it)")} via ${top}`);
      } else entries.add(`${text} via ${mid}, via ${top}`);
    }
    out.set(registry.address, entries);
  }
  return out;
}

export interface AccessChange {
  registry: string;
  added: string[];
  removed: string[];
}

/** What a change adds to and removes from who can push to each registry (registries new or gone included). */
export function accessChanges(base: Access, head: Access): AccessChange[] {
  const before = writeAccessByRegistry(base);
  const after = writeAccessByRegistry(head);
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changes: AccessChange[] = [];
  for (const registry of names) {
    const b = before.get(registry) ?? new Set<string>();
    const a = after.get(registry) ?? new Set<string>();
    const added = [...a].filter((x) => !b.has(x)).sort();
    const removed = [...b].filter((x) => !a.has(x)).sort();
    if (added.length || removed.length) changes.push({ registry, added, removed });
  }
  return changes;
}

const MAX_ACCESS_LINES = 300;

/** The pull request's "Write access" markdown section; empty when nobody gains or loses a push. */
export function accessChangesMarkdown(changes: AccessChange[]): string {
  if (changes.length === 0) return "";
  const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";
  const lines = ["### Write access", "", `This change alters who can push to ${changes.length} ${changes.length === 1 ? "registry" : "registries"}:`, ""];
  let listed = 0;
  let left = 0;
  for (const c of changes) {
    if (listed >= MAX_ACCESS_LINES) {
      left += c.added.length + c.removed.length;
      continue;
    }
    lines.push(`- ${code(c.registry)}: ${c.added.length} added, ${c.removed.length} removed`);
    for (const x of c.added) lines.push(`  - \\+ ${code(x)}`);
    for (const x of c.removed) lines.push(`  - \\- ${code(x)}`);
    listed += c.added.length + c.removed.length + 1;
  }
  if (left > 0) lines.push(`- … and ${left} more changes in write access; run \`npm run access\` for each registry`);
  return lines.join("\n") + "\n\n";
}

import type { Declaration } from "../estate/declaration";
import type { Estate } from "../estate/estate";
import type { Style } from "./style";

const IAM_TYPES = new Set([
  "gcp:projects/iAMMember:IAMMember",
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  "gcp:storage/bucketIAMMember:BucketIAMMember",
  "gcp:serviceaccount/iAMMember:IAMMember",
]);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The readable plan: what each staging project will have, then one summary line. */
export function renderListing(estate: Estate, style: Style): string {
  const children = new Map<string, Declaration[]>();
  for (const d of estate.declarations) {
    if (!d.parent) continue;
    const list = children.get(d.parent);
    if (list) list.push(d);
    else children.set(d.parent, [d]);
  }
  const members = new Map<string, number>();
  const declaredGroups = new Set<string>();
  for (const d of estate.declarations) {
    if (d.type === "gcp:cloudidentity/group:Group") declaredGroups.add(d.name);
    if (d.type !== "gcp:cloudidentity/groupMembership:GroupMembership") continue;
    const email = d.name.slice(0, d.name.indexOf("/"));
    members.set(email, (members.get(email) ?? 0) + 1);
  }
  const groupText = (email: string) =>
    declaredGroups.has(email)
      ? `${email} (${plural(members.get(email) ?? 0, "member")})`
      : `${email} (not declared here)`;
  const bucketDays = new Map<string, number | undefined>();
  for (const d of estate.declarations) {
    if (d.type === "gcp:storage/bucket:Bucket") {
      const rules = d.inputs.lifecycleRules as { condition: { age: number } }[] | undefined;
      bucketDays.set(`gs://${d.name}`, rules?.[0]?.condition.age);
    }
  }

  /** `(cleanup after N days[, dry run])` of a dedicated project's repositories, or `(kept)`. */
  const cleanupText = (own: readonly Declaration[], address: string) => {
    type RepoInputs = { repositoryId: string; cleanupPolicies?: { condition: { olderThan: string } }[]; cleanupPolicyDryRun?: boolean };
    const repo = own
      .filter((d) => d.type === "gcp:artifactregistry/repository:Repository")
      .map((d) => d.inputs as unknown as RepoInputs)
      .find((r) => address.endsWith(`/${r.repositoryId}`) || address.startsWith(`${r.repositoryId}/`));
    const policy = repo?.cleanupPolicies?.[0];
    if (!policy) return `${address} (kept)`;
    const days = Number.parseInt(policy.condition.olderThan, 10) / 86_400;
    return `${address} (cleanup after ${days} days${repo!.cleanupPolicyDryRun ? ", dry run" : ""})`;
  };

  const lines: string[] = [];
  let sharedRepos = 0;
  for (const p of estate.projects) {
    const own = children.get(p.component) ?? [];
    lines.push(style.bold(`${p.id}`) + style.dim(` (${p.kind}, ${plural(own.length + 1, "resource")})`));
    const buckets = p.buckets.map((b) => { const days = bucketDays.get(b); return `${b} (${days === undefined ? "kept" : `${days} days`})`; }).join(", ") || "none";
    if (p.kind === "dedicated") {
      lines.push(`  registries  ${p.registries.map((r) => cleanupText(own, r)).join(", ")}`);
      lines.push(`  buckets     ${buckets}`);
      lines.push(`  writers     ${p.writersGroups.map(groupText).join(", ")}`);
      lines.push(`  builder     ${p.builderAccounts.join(", ")}`);
    } else {
      lines.push(`  buckets     ${buckets}`);
      for (const r of p.repositories) {
        sharedRepos++;
        lines.push(`  ${style.bold(r.name)}`);
        lines.push(`    registry  ${r.registry} (cleanup after ${r.cleanupDays} days${r.cleanupDryRun ? ", dry run" : ""})`);
        lines.push(`    writers   ${r.writersGroup ? groupText(r.writersGroup) : r.writerAccounts.join(", ")}`);
        if (r.builderAccount) lines.push(`    builder   ${r.builderAccount}`);
      }
    }
    const roles = new Map<string, number>();
    for (const d of own) {
      if (!IAM_TYPES.has(d.type)) continue;
      const role = (d.inputs as { role: string }).role;
      roles.set(role, (roles.get(role) ?? 0) + 1);
    }
    const grants = [...roles].sort(([a], [b]) => (a < b ? -1 : 1)).map(([role, n]) => `${role.replace(/^roles\//, "")} ×${n}`);
    lines.push(`  grants      ${grants.join(", ")}`);
  }
  if (declaredGroups.size > 0) {
    const total = [...members.values()].reduce((a, n) => a + n, 0);
    lines.push(style.bold("writers groups"));
    lines.push(`  declares    ${plural(declaredGroups.size, "Cloud Identity group")} with ${plural(total, "membership")}`);
  }
  lines.push(style.bold("image promoter"));
  lines.push(`  writes      ${plural(estate.promoterGrants.length, "production root")} (${[...new Set(estate.promoterGrants.map((g) => g.role))].join(", ")})`);
  lines.push("");
  lines.push(
    `${plural(estate.declarations.length, "resource")} in ${plural(estate.projects.length, "staging project")}, ${plural(sharedRepos, "shared repository").replace("repositorys", "repositories")}`,
  );
  return lines.join("\n") + "\n";
}

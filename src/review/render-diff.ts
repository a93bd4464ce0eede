import { escapeControl } from "../catalog/problems";
import { PROMOTER_NAME } from "../estate/promoter-access";
import { WRITERS_GROUPS_NAME } from "../estate/writers-group";
import { shortType } from "./group";
import { showValue, type PlanDiff, type ResourceChange } from "./diff";
import type { Style } from "./style";

function line(e: ResourceChange, style: Style): string[] {
  const label = escapeControl(`${shortType(e.resource.type)} ${e.resource.name}`);
  if (e.kind === "create") return [style.add(`  + ${label}`)];
  if (e.kind === "delete") return [style.del(`  - ${label}${e.resource.protect ? "  [protected]" : ""}`)];
  return [style.chg(`  ~ ${label}`), ...e.changes.map((c) => `      ${c.field}: ${showValue(c.old)} -> ${showValue(c.new)}`)];
}

export function totalsLine(diff: PlanDiff): string {
  const t = diff.totals;
  const p = diff.protectedDeletes.length;
  const staging = diff.projects.filter((x) => x.project !== PROMOTER_NAME && x.project !== WRITERS_GROUPS_NAME).length;
  const where = [
    staging > 0 ? `${staging} staging project${staging === 1 ? "" : "s"}` : "",
    diff.projects.some((x) => x.project === WRITERS_GROUPS_NAME) ? "the writers groups" : "",
    diff.projects.some((x) => x.project === PROMOTER_NAME) ? "the image promoter" : "",
  ].filter(Boolean);
  const place = where.length ? ` in ${where.join(", ").replace(/, ([^,]*)$/, " and $1")}` : "";
  return `${t.creates} to create, ${t.changes} to change, ${t.deletes} to delete${p ? ` (${p} protected)` : ""}${place}`;
}

/** The terminal diff: protected deletions first, then each project's creates, changes and deletes. */
export function renderDiff(diff: PlanDiff, style: Style): string {
  const out: string[] = [];
  if (diff.protectedDeletes.length) {
    out.push(style.del(style.bold(`! ${diff.protectedDeletes.length} protected resource(s) would be deleted; the engine refuses this, and so does this check:`)));
    for (const e of diff.protectedDeletes) out.push(style.del(escapeControl(`  - ${shortType(e.resource.type)} ${e.resource.name}`)));
    out.push("");
  }
  for (const p of diff.projects) {
    out.push(style.bold(escapeControl(p.project)) + style.dim(` (+${p.creates} ~${p.changes} -${p.deletes})`));
    for (const e of p.entries) out.push(...line(e, style));
  }
  if (diff.projects.length === 0) out.push("No changes.");
  out.push("", totalsLine(diff));
  return out.join("\n") + "\n";
}

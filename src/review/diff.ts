import { escapeControl } from "../catalog/problems";
import type { Plan, PlanResource } from "../estate/plan";
import { ownerOf } from "./group";

export interface Change {
  field: string;
  old: unknown;
  new: unknown;
}

export interface ResourceChange {
  kind: "create" | "delete" | "change";
  resource: PlanResource;
  /** for "change": each changed input or option */
  changes: Change[];
}

export interface ProjectDiff {
  project: string;
  creates: number;
  changes: number;
  deletes: number;
  entries: ResourceChange[];
}

export interface PlanDiff {
  projects: ProjectDiff[];
  /** deletions of protected resources: the engine refuses them, and CI stops here */
  protectedDeletes: ResourceChange[];
  totals: { creates: number; changes: number; deletes: number };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function compare(base: PlanResource, head: PlanResource): Change[] {
  const changes: Change[] = [];
  const keys = [...new Set([...Object.keys(base.inputs), ...Object.keys(head.inputs)])].sort();
  for (const k of keys) {
    if (!same(base.inputs[k], head.inputs[k])) changes.push({ field: k, old: base.inputs[k], new: head.inputs[k] });
  }
  for (const opt of ["protect", "retainOnDelete", "dependsOn"] as const) {
    if (!same(base[opt], head[opt])) changes.push({ field: `(${opt})`, old: base[opt], new: head[opt] });
  }
  return changes;
}

/** What applying `head` over `base` would create, change and delete, grouped by staging project. */
export function diffPlans(base: Plan, head: Plan): PlanDiff {
  const before = new Map(base.resources.map((r) => [r.urn, r]));
  const after = new Map(head.resources.map((r) => [r.urn, r]));
  const entries: ResourceChange[] = [];
  for (const r of head.resources) {
    const old = before.get(r.urn);
    if (!old) entries.push({ kind: "create", resource: r, changes: [] });
    else {
      const changes = compare(old, r);
      if (changes.length) entries.push({ kind: "change", resource: r, changes });
    }
  }
  for (const r of base.resources) if (!after.has(r.urn)) entries.push({ kind: "delete", resource: r, changes: [] });

  const byProject = new Map<string, ProjectDiff>();
  for (const e of entries) {
    const project = ownerOf(e.resource);
    let p = byProject.get(project);
    if (!p) byProject.set(project, (p = { project, creates: 0, changes: 0, deletes: 0, entries: [] }));
    p.entries.push(e);
    if (e.kind === "create") p.creates++;
    else if (e.kind === "change") p.changes++;
    else p.deletes++;
  }
  const order = { delete: 0, change: 1, create: 2 };
  const projects = [...byProject.values()].sort((a, b) => (a.project < b.project ? -1 : 1));
  for (const p of projects) p.entries.sort((a, b) => order[a.kind] - order[b.kind] || (a.resource.urn < b.resource.urn ? -1 : 1));
  const protectedDeletes = entries.filter((e) => e.kind === "delete" && e.resource.protect);
  const totals = { creates: 0, changes: 0, deletes: 0 };
  for (const p of projects) {
    totals.creates += p.creates;
    totals.changes += p.changes;
    totals.deletes += p.deletes;
  }
  return { projects, protectedDeletes, totals };
}

export function isEmpty(diff: PlanDiff): boolean {
  return diff.projects.length === 0;
}

export function showValue(v: unknown): string {
  if (v === undefined) return "(unset)";
  // JSON leaves C1 controls and line separators as they are: escape them too.
  const s = escapeControl(JSON.stringify(v));
  return s.length > 160 ? s.slice(0, 157) + "..." : s;
}

import type { PlanResource } from "../estate/plan";

/** The staging project (or promoter component) a resource belongs to: its component's name. */
export function ownerOf(r: Pick<PlanResource, "urn" | "parent" | "name">): string {
  const componentUrn = r.parent ?? r.urn;
  return componentUrn.slice(componentUrn.lastIndexOf("::") + 2);
}

export function shortType(type: string): string {
  const i = type.lastIndexOf(":");
  return i >= 0 ? type.slice(i + 1) : type;
}

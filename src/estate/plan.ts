import type { Declaration } from "./declaration";
import type { Estate } from "./estate";

/** The JSON plan: every declaration, sorted by URN, as reviewers and tools read it. */
export interface PlanResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  protect: boolean;
  retainOnDelete: boolean;
  dependsOn: string[];
  /** present only when the resource uses an explicit provider */
  provider?: string;
  inputs: Record<string, unknown>;
}

export interface Plan {
  stack: string;
  resources: PlanResource[];
}

/** The version of the plan file (`plan --json`); a base plan of another version is refused. */
export const PLAN_FILE_VERSION = 1;

export function toPlan(estate: Estate): Plan {
  const resources = estate.declarations
    .map((d: Declaration): PlanResource => ({
      urn: d.urn,
      type: d.type,
      name: d.name,
      parent: d.parent,
      protect: d.protect,
      retainOnDelete: d.retainOnDelete,
      dependsOn: d.dependsOn,
      ...(d.provider ? { provider: d.provider } : {}),
      inputs: d.inputs as Record<string, unknown>,
    }))
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack: estate.stack, resources };
}

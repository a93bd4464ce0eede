import type { Catalog } from "../catalog/model";
import type { StackConfig } from "../config";
import { EstateBuilder } from "./builder";
import { declareDedicatedProject } from "./dedicated-project";
import type { ComponentDeclaration, Declaration } from "./declaration";
import { declarePromoterAccess } from "./promoter-access";
import { declareSharedProject } from "./shared-project";
import type { ProjectSummary, PromoterGrantSummary } from "./summary";
import { declareWritersGroup, isDeclaredGroup } from "./writers-group";

export interface Estate {
  stack: string;
  /** In creation order: a component before its children, a resource after what it depends on. */
  declarations: Declaration[];
  projects: ProjectSummary[];
  promoterGrants: PromoterGrantSummary[];
}

/** Everything the stack declares, as data: pure, and the same for the same inputs. */
export function buildEstate(catalog: Catalog, config: StackConfig, stack: string): Estate {
  if (catalog.projects.length === 0) throw new Error("the catalog lists no staging project; refusing to declare an empty estate");
  const b = new EstateBuilder(stack);
  const groups = new Map(catalog.groups.map((g) => [g.email, g]));
  const declaredGroups = new Set<string>();
  const projects: ProjectSummary[] = [];

  for (const p of catalog.projects) {
    const summary = p.kind === "dedicated" ? declareDedicatedProject(b, p, config) : declareSharedProject(b, p, config);
    const component = b.get(summary.component) as ComponentDeclaration;
    for (const email of summary.writersGroups) {
      if (!isDeclaredGroup(email, config) || declaredGroups.has(email)) continue;
      declaredGroups.add(email);
      declareWritersGroup(b, component, email, groups.get(email), config);
    }
    projects.push(summary);
  }
  const promoterGrants = declarePromoterAccess(b, config);
  return { stack, declarations: b.declarations, projects, promoterGrants };
}

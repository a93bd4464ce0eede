import type { Catalog } from "../catalog/model";
import type { StackConfig } from "../config";
import { COMPONENT, EstateBuilder } from "./builder";
import { declareDedicatedProject } from "./dedicated-project";
import type { Declaration } from "./declaration";
import { declarePromoterAccess } from "./promoter-access";
import { declareSharedProject } from "./shared-project";
import type { ProjectSummary, PromoterGrantSummary } from "./summary";
import { declareWritersGroups, isDeclaredGroup, WRITERS_GROUPS_NAME } from "./writers-group";

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
  // Groups first, under one fixed component: their URNs never depend on which project uses them,
  // and every grant to a group can wait for it.
  const entries = new Map(catalog.groups.map((g) => [g.email, g]));
  const used = new Set(
    catalog.projects.flatMap((p) => (p.kind === "dedicated" ? [p.writers] : p.repositories.flatMap((r) => (r.writers ? [r.writers] : [])))),
  );
  const groupEmails = [...used].filter((email) => isDeclaredGroup(email, config)).sort();
  if (groupEmails.length > 0) {
    const component = b.component(COMPONENT.writersGroups, WRITERS_GROUPS_NAME, { domain: config.domain });
    declareWritersGroups(b, component, groupEmails, entries, config);
  }
  const projects: ProjectSummary[] = catalog.projects.map((p) =>
    p.kind === "dedicated" ? declareDedicatedProject(b, p, config) : declareSharedProject(b, p, config),
  );
  const promoterGrants = declarePromoterAccess(b, config);
  return { stack, declarations: b.declarations, projects, promoterGrants };
}

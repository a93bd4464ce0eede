import * as pulumi from "@pulumi/pulumi";
import { loadCatalog } from "../catalog/catalog";
import { CatalogError, formatProblem } from "../catalog/problems";
import { locateCatalog, policyOf } from "../config";
import { buildEstate, type Estate } from "../estate/estate";
import { configFromEngine } from "./engine-config";
import { materialise } from "./materialise";

export { configFromEngine };

/**
 * The whole program: config -> catalog -> estate -> resources. Any input error
 * throws before the first resource is declared.
 */
export function deployStaging(): { estate: Estate; resources: Map<string, pulumi.Resource> } {
  const config = configFromEngine();
  const stack = pulumi.getStack();
  const { root, layout } = locateCatalog(config, stack);
  const { catalog, problems } = loadCatalog(root, policyOf(config, stack), layout);
  for (const p of problems) {
    if (p.severity === "warning") pulumi.log.warn(formatProblem(p));
    else if (p.severity === "note") pulumi.log.info(formatProblem(p));
  }
  if (!catalog) throw new CatalogError(problems);
  const estate = buildEstate(catalog, config, stack);
  const resources = materialise(estate.declarations);
  return { estate, resources };
}

import * as pulumi from "@pulumi/pulumi";
import { loadCatalog } from "../catalog/catalog";
import { CatalogError, formatProblem } from "../catalog/problems";
import { locateCatalog, parseStackConfig, policyOf, PROJECT, type StackConfig } from "../config";
import { buildEstate, type Estate } from "../estate/estate";
import { materialise } from "./materialise";


/** Reads this project's keys from the engine's configuration; every bad key is named. */
export function configFromEngine(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(":", 2);
    if (ns === PROJECT && name) raw[name] = value;
  }
  const { config, issues } = parseStackConfig(raw);
  if (!config) {
    throw new Error(
      `stack ${pulumi.getStack()} configuration is invalid; nothing is declared:\n` +
        issues.map((i) => `  ${PROJECT}:${i.key} ${i.message}`).join("\n"),
    );
  }
  return config;
}

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

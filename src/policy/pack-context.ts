import * as pulumi from "@pulumi/pulumi";
import { loadCatalog } from "../catalog/catalog";
import { formatProblem } from "../catalog/problems";
import { locateCatalog, policyOf } from "../config";
import { configFromEngine } from "../pulumi/engine-config";
import { guardContext, type GuardContext } from "./rules";

let cached: { ctx: GuardContext } | { error: string } | undefined;

/**
 * The rules' context inside the policy pack: the engine starts the pack with the stack's name
 * and configuration in its environment (PULUMI_NODEJS_STACK, PULUMI_CONFIG: constructEnv in
 * pkg/resource/plugin/analyzer_plugin.go of pulumi/pulumi), and the pack reads the catalog that
 * configuration names, as the program does. Read once per pack process.
 */
export function loadPackContext(): { ctx: GuardContext } | { error: string } {
  if (cached) return cached;
  try {
    const stack = pulumi.getStack();
    if (!stack) throw new Error("the engine gave the pack no stack (PULUMI_NODEJS_STACK is empty)");
    const config = configFromEngine();
    const { root, layout } = locateCatalog(config, stack);
    const { catalog, problems } = loadCatalog(root, policyOf(config, stack), layout);
    if (!catalog) {
      const errors = problems.filter((p) => p.severity === "error");
      throw new Error(`${errors.length} catalog error(s), first: ${errors[0] ? formatProblem(errors[0]) : "(none)"}`);
    }
    cached = { ctx: guardContext(catalog, config) };
  } catch (e) {
    cached = { error: (e as Error).message };
  }
  return cached;
}

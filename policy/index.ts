import { PolicyPack, type ResourceValidationArgs } from "@pulumi/policy";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { loadPackContext } from "../src/policy/pack-context";
import { RULES, UNKNOWN, type GuardResource } from "../src/policy/rules";

/**
 * The guardrails as a Pulumi policy pack, every rule mandatory. Each policy runs one rule of
 * src/policy/rules.ts on each resource the program registers; the rules' context (the promoter,
 * the production roots, the release admins, the catalog's projects, buckets and writers) is read
 * from the stack configuration the engine hands the pack and from the catalog it names.
 */

/** The SDK hands policies a proxy that throws on unknown values; the rules want UNKNOWN instead. */
function plainProps(args: ResourceValidationArgs): Record<string, unknown> {
  const target = (args.props as Record<string, unknown>)["__getSpecialProxyTarget"] ?? args.props;
  return JSON.parse(JSON.stringify(target), (_key, value: unknown) => (value === unknownValue ? UNKNOWN_MARK : value)) as Record<string, unknown>;
}
const UNKNOWN_MARK = "\u0000unknown";

function restoreUnknown(v: unknown): unknown {
  if (v === UNKNOWN_MARK) return UNKNOWN;
  if (Array.isArray(v)) return v.map(restoreUnknown);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, restoreUnknown(x)]));
  return v;
}

function guardResource(args: ResourceValidationArgs): GuardResource {
  return {
    type: args.type,
    name: args.name,
    urn: args.urn,
    props: restoreUnknown(plainProps(args)) as Record<string, unknown>,
    protect: args.opts.protect,
  };
}

new PolicyPack("k8s-infra-staging", {
  enforcementLevel: "mandatory",
  policies: RULES.map((rule) => ({
    name: rule.id,
    description: rule.description,
    enforcementLevel: "mandatory" as const,
    validateResource: (args: ResourceValidationArgs, reportViolation: (message: string, urn?: string) => void) => {
      const context = loadPackContext();
      if ("error" in context) {
        reportViolation(`the guardrails cannot read the stack's catalog, so nothing can be checked: ${context.error}`);
        return;
      }
      for (const message of rule.check(guardResource(args), context.ctx)) reportViolation(message);
    },
  })),
});

import { isDeferred } from "../estate/declaration";
import type { Plan, PlanResource } from "../estate/plan";
import { serviceAccountEmail } from "../estate/parts";
import { UNKNOWN, type GuardResource } from "./rules";

const ACCOUNT = "gcp:serviceaccount/account:Account";

/**
 * The plan's resources as the rules see them. A reference to a service account's name, email
 * or member is resolved from the account's inputs (the cloud derives them from its id); every
 * other reference, and the Workspace customer lookup, is UNKNOWN, as in a preview.
 */
export function guardResources(plan: Plan): GuardResource[] {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const resolve = (v: unknown): unknown => {
    if (!isDeferred(v)) return v;
    if (!("ref" in v)) return UNKNOWN;
    const target = byUrn.get(v.ref);
    if (target?.type !== ACCOUNT) return UNKNOWN;
    const { project, accountId } = target.inputs as { project?: unknown; accountId?: unknown };
    if (typeof project !== "string" || typeof accountId !== "string") return UNKNOWN;
    const email = serviceAccountEmail(accountId, project);
    return { name: `projects/${project}/serviceAccounts/${email}`, email, member: `serviceAccount:${email}` }[v.output] ?? UNKNOWN;
  };
  return plan.resources.map((r: PlanResource) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    props: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, resolve(v)])),
    protect: r.protect,
  }));
}

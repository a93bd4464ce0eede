import type { StagingGroup } from "../catalog/model";
import { GROUP_PREFIX } from "../catalog/rules";
import type { StackConfig } from "../config";
import { ref, type EstateBuilder } from "./builder";
import type { ComponentDeclaration, Deferred, ResourceDeclaration } from "./declaration";

/** Name of the component that holds every declared writers group. */
export const WRITERS_GROUPS_NAME = "writers-groups";

export const DISCUSSION_FORUM_LABEL = "cloudidentity.googleapis.com/groups.discussion_forum";

/** Only `k8s-infra-staging-*` groups of the domain are declared here; any other writers group is only referenced. */
export function isDeclaredGroup(email: string, config: StackConfig): boolean {
  const [local, domain] = email.split("@");
  return (local?.startsWith(GROUP_PREFIX) ?? false) && domain === config.domain;
}

export function groupParent(config: StackConfig): string | Deferred {
  if (config.customerId) return `customers/${config.customerId}`;
  return { lookup: "organization", output: "directoryCustomerId", organization: `organizations/${config.organizationId}`, prefix: "customers/" };
}

/** Name of the provider that Cloud Identity resources use. */
export const CLOUD_IDENTITY_PROVIDER = "cloud-identity";

/**
 * Cloud Identity refuses user credentials unless the provider names a quota project
 * (user_project_override + billing_project, the provider's docs for cloudidentity.Group).
 * Only the groups use it, so no other API is charged to, or must be enabled in, that project.
 */
function cloudIdentityProvider(b: EstateBuilder, parent: ComponentDeclaration, config: StackConfig): ResourceDeclaration | undefined {
  if (!config.cloudIdentityBillingProject) return undefined;
  return b.resource(
    "pulumi:providers:gcp",
    CLOUD_IDENTITY_PROVIDER,
    { userProjectOverride: true, billingProject: config.cloudIdentityBillingProject },
    { parent },
  );
}

/** Name of the wait that follows a group created in this run (IAM may not know a brand-new group yet). */
export function propagationName(email: string): string {
  return `${email}/iam-propagation`;
}

/**
 * The writers groups with their members from groups.yaml (managers are members
 * too, with the MANAGER role). Grants to a group wait for it and for a bounded
 * pause after it is created; a membership whose member is a group declared here waits for that group.
 */
export function declareWritersGroups(
  b: EstateBuilder,
  parent: ComponentDeclaration,
  emails: string[],
  entries: Map<string, StagingGroup>,
  config: StackConfig,
): void {
  const declared = new Map<string, ResourceDeclaration>();
  const provider = cloudIdentityProvider(b, parent, config);
  for (const email of emails) {
    const entry = entries.get(email);
    const name = email.split("@")[0]!;
    const g = b.resource(
      "gcp:cloudidentity/group:Group",
      email,
      {
        parent: groupParent(config),
        groupKey: { id: email },
        displayName: name,
        description: entry?.description || `Writers of staging ${name.slice(GROUP_PREFIX.length)}`,
        labels: { [DISCUSSION_FORUM_LABEL]: "" },
        initialGroupConfig: "EMPTY",
      },
      // Protected: the groups reconciler would recreate a deleted group under a new id, and every grant to the old one would dangle.
      { parent, protect: true, ...(provider ? { provider } : {}) },
    );
    declared.set(email, g);
    // Sleep only waits when it is created, so only the run that creates the group pauses.
    const settled = b.resource(
      "time:index/sleep:Sleep",
      propagationName(email),
      { createDuration: `${config.groupPropagationSeconds}s` },
      { parent, dependsOn: [g] },
    );
    b.declareMember(`group:${email}`, settled);
  }
  for (const email of emails) {
    const entry = entries.get(email);
    const g = declared.get(email)!;
    const managers = new Set(entry?.managers ?? []);
    const everyone = [...new Set([...(entry?.managers ?? []), ...(entry?.members ?? [])])].sort();
    for (const member of everyone) {
      const memberGroup = declared.get(member);
      b.resource(
        "gcp:cloudidentity/groupMembership:GroupMembership",
        `${email}/${member}`,
        {
          group: ref(g, "name"),
          preferredMemberKey: { id: member },
          roles: managers.has(member) ? [{ name: "MEMBER" }, { name: "MANAGER" }] : [{ name: "MEMBER" }],
        },
        { parent, dependsOn: memberGroup ? [memberGroup] : [], ...(provider ? { provider } : {}) },
      );
    }
  }
}

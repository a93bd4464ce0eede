import type { StagingGroup } from "../catalog/model";
import { GROUP_PREFIX } from "../catalog/rules";
import type { StackConfig } from "../config";
import { ref, type EstateBuilder } from "./builder";
import type { ComponentDeclaration, Deferred } from "./declaration";

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

/** A writers group with its members from groups.yaml (managers are members too, with the MANAGER role). */
export function declareWritersGroup(
  b: EstateBuilder,
  parent: ComponentDeclaration,
  email: string,
  entry: StagingGroup | undefined,
  config: StackConfig,
): void {
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
    { parent },
  );
  b.declareMember(`group:${email}`, g);
  const managers = new Set(entry?.managers ?? []);
  const everyone = [...new Set([...(entry?.managers ?? []), ...(entry?.members ?? [])])].sort();
  for (const member of everyone) {
    b.resource(
      "gcp:cloudidentity/groupMembership:GroupMembership",
      `${email}/${member}`,
      {
        group: ref(g, "name"),
        preferredMemberKey: { id: member },
        roles: managers.has(member) ? [{ name: "MEMBER" }, { name: "MANAGER" }] : [{ name: "MEMBER" }],
      },
      { parent },
    );
  }
}

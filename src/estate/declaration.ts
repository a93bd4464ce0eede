import type * as gcp from "@pulumi/gcp";
import type * as time from "@pulumiverse/time";

/** A value the cloud assigns to another declared resource, resolved by the materialiser. */
export interface Ref {
  /** URN of the resource that owns the value */
  ref: string;
  /** name of its output property */
  output: string;
}

/** The organization's Workspace customer, looked up at run time when the stack does not name it. */
export interface CustomerLookup {
  lookup: "organization";
  output: "directoryCustomerId";
  /** the organization the lookup reads, `organizations/<id>` */
  organization: string;
  /** text placed before the looked-up value */
  prefix: string;
}

export type Deferred = Ref | CustomerLookup;

/** Provider arguments where any top-level property may be a reference. */
export type WithRefs<T> = { [K in keyof T]: T[K] | Deferred };

/** The provider argument types, by Pulumi type token: `tsc` checks every declaration against them. */
export interface ArgsByType {
  "gcp:organizations/project:Project": gcp.organizations.ProjectArgs;
  "gcp:projects/service:Service": gcp.projects.ServiceArgs;
  "gcp:projects/iAMMember:IAMMember": gcp.projects.IAMMemberArgs;
  "gcp:artifactregistry/repository:Repository": gcp.artifactregistry.RepositoryArgs;
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": gcp.artifactregistry.RepositoryIamMemberArgs;
  "gcp:storage/bucket:Bucket": gcp.storage.BucketArgs;
  "gcp:storage/bucketIAMMember:BucketIAMMember": gcp.storage.BucketIAMMemberArgs;
  "gcp:serviceaccount/account:Account": gcp.serviceaccount.AccountArgs;
  "gcp:serviceaccount/iAMMember:IAMMember": gcp.serviceaccount.IAMMemberArgs;
  "gcp:cloudidentity/group:Group": gcp.cloudidentity.GroupArgs;
  "gcp:cloudidentity/groupMembership:GroupMembership": gcp.cloudidentity.GroupMembershipArgs;
  "time:index/sleep:Sleep": time.SleepArgs;
  "pulumi:providers:gcp": gcp.ProviderArgs;
}

export type ResourceType = keyof ArgsByType;

/** Component tokens: one component groups each staging project's resources. */
export const COMPONENT = {
  dedicated: "k8s-infra:staging:DedicatedStagingProject",
  shared: "k8s-infra:staging:SharedStagingProject",
  promoter: "k8s-infra:staging:PromoterAccess",
  writersGroups: "k8s-infra:staging:WritersGroups",
} as const;
export type ComponentType = (typeof COMPONENT)[keyof typeof COMPONENT];

interface DeclarationBase {
  urn: string;
  name: string;
  /** URN of the parent component, or null at the top of the stack */
  parent: string | null;
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource must wait for (beyond its references) */
  dependsOn: string[];
  /** URN of the explicit provider the resource uses; absent: the stack's default provider */
  provider?: string;
}

export type ResourceDeclaration = {
  [T in ResourceType]: DeclarationBase & { type: T; inputs: WithRefs<ArgsByType[T]> };
}[ResourceType];

export interface ComponentDeclaration extends DeclarationBase {
  type: ComponentType;
  inputs: Record<string, string>;
}

export type Declaration = ResourceDeclaration | ComponentDeclaration;

export function isComponent(d: Declaration): d is ComponentDeclaration {
  return d.type.startsWith("k8s-infra:");
}

export function isDeferred(v: unknown): v is Deferred {
  return typeof v === "object" && v !== null && ("ref" in v || "lookup" in v);
}

/** URNs as the Pulumi engine builds them, so plans and previews speak of the same resources. */
export function urnOf(stack: string, project: string, type: string, name: string, parent?: { urn: string; type: string }): string {
  const chain = parent ? `${parentTypeChain(parent.urn)}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

function parentTypeChain(urn: string): string {
  const parts = urn.split("::");
  return parts[2] ?? "";
}

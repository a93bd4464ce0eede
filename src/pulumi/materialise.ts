import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { isComponent, isDeferred, type ArgsByType, type Declaration, type Deferred, type ResourceType } from "../estate/declaration";

type Constructor<T extends ResourceType> = new (
  name: string,
  args: ArgsByType[T],
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

/** The provider class behind each type token. */
const RESOURCE_CLASSES: { [T in ResourceType]: Constructor<T> } = {
  "gcp:organizations/project:Project": gcp.organizations.Project,
  "gcp:projects/service:Service": gcp.projects.Service,
  "gcp:projects/iAMMember:IAMMember": gcp.projects.IAMMember,
  "gcp:artifactregistry/repository:Repository": gcp.artifactregistry.Repository,
  "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": gcp.artifactregistry.RepositoryIamMember,
  "gcp:storage/bucket:Bucket": gcp.storage.Bucket,
  "gcp:storage/bucketIAMMember:BucketIAMMember": gcp.storage.BucketIAMMember,
  "gcp:serviceaccount/account:Account": gcp.serviceaccount.Account,
  "gcp:serviceaccount/iAMMember:IAMMember": gcp.serviceaccount.IAMMember,
  "gcp:cloudidentity/group:Group": gcp.cloudidentity.Group,
  "gcp:cloudidentity/groupMembership:GroupMembership": gcp.cloudidentity.GroupMembership,
  "time:index/sleep:Sleep": time.Sleep,
  "pulumi:providers:gcp": gcp.Provider,
};

/** Groups one staging project's (or the promoter's) resources in the preview. */
export class EstateComponent extends pulumi.ComponentResource {
  /** `inputs` are what the plan shows for the component (its project id, account or domain); the engine records them in the state. */
  constructor(type: string, name: string, inputs: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, inputs, opts);
  }

  /** Called once all children exist. */
  finish(): void {
    this.registerOutputs({});
  }
}

/** Turns each declaration into its resource, in order; returns them by URN. */
export function materialise(declarations: readonly Declaration[]): Map<string, pulumi.Resource> {
  const made = new Map<string, pulumi.Resource>();
  const lookups = new Map<string, pulumi.Output<string>>();
  const find = (urn: string): pulumi.Resource => {
    const r = made.get(urn);
    if (!r) throw new Error(`${urn} is used before it is declared`);
    return r;
  };
  const resolve = (v: Deferred): pulumi.Output<unknown> => {
    if ("ref" in v) {
      const out = (find(v.ref) as unknown as Record<string, unknown>)[v.output];
      if (!pulumi.Output.isInstance(out)) throw new Error(`${v.ref} has no output ${v.output}`);
      return out;
    }
    let customer = lookups.get(v.organization);
    if (!customer) {
      customer = gcp.organizations.getOrganizationOutput({ organization: v.organization }).directoryCustomerId;
      lookups.set(v.organization, customer);
    }
    return customer.apply((id) => `${v.prefix}${id}`);
  };

  const components: EstateComponent[] = [];
  for (const d of declarations) {
    const parent = d.parent ? find(d.parent) : undefined;
    if (isComponent(d)) {
      const c = new EstateComponent(d.type, d.name, d.inputs, { parent });
      components.push(c);
      made.set(d.urn, c);
      continue;
    }
    const inputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(d.inputs)) inputs[k] = isDeferred(v) ? resolve(v) : v;
    const Resource = RESOURCE_CLASSES[d.type] as Constructor<ResourceType>;
    made.set(
      d.urn,
      new Resource(d.name, inputs as ArgsByType[ResourceType], {
        parent,
        protect: d.protect,
        retainOnDelete: d.retainOnDelete,
        dependsOn: d.dependsOn.map(find),
        ...(d.provider ? { provider: find(d.provider) as pulumi.ProviderResource } : {}),
      }),
    );
  }
  for (const c of components) c.finish();
  return made;
}

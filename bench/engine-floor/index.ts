import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";

/** A custom resource with nothing of its own: the SDK's floor. */
class FloorResource extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("floor:index:Resource", name, props);
  }
}

// The same treatment of stack traces as the program (src/pulumi/plain-stacks.ts), when asked for.
if (process.env.FLOOR_PLAIN_STACKS === "true") Reflect.deleteProperty(Error, "prepareStackTrace");

// As many resources as the benchmark asks for, each with a few plain inputs: bare ones, or the
// provider's simplest class (what any program using @pulumi/gcp pays per resource) with FLOOR_KIND=gcp.
const count = Number(process.env.FLOOR_RESOURCES ?? "1000");
const gcpClass = process.env.FLOOR_KIND === "gcp";
for (let i = 0; i < count; i++) {
  const inputs = { project: "floor-project", role: "roles/viewer", member: `group:g${i}@example.com` };
  if (gcpClass) new gcp.projects.IAMMember(`resource-${i}`, inputs);
  else new FloorResource(`resource-${i}`, inputs);
}

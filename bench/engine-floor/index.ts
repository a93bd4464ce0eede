import * as pulumi from "@pulumi/pulumi";

/** A custom resource with nothing of its own: what every provider resource class adds to the SDK. */
class FloorResource extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("floor:index:Resource", name, props);
  }
}

// The same treatment of stack traces as the program (src/pulumi/plain-stacks.ts), when asked for.
if (process.env.FLOOR_PLAIN_STACKS === "true") Reflect.deleteProperty(Error, "prepareStackTrace");

// As many bare custom resources as the benchmark asks for, each with a few plain inputs.
const count = Number(process.env.FLOOR_RESOURCES ?? "1000");
for (let i = 0; i < count; i++) {
  new FloorResource(`resource-${i}`, { project: "floor-project", name: `resource-${i}`, role: "roles/viewer", member: `group:g${i}@example.com` });
}

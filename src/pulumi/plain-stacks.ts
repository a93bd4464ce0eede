/**
 * Plain stack traces while the program runs under the Pulumi runtime's TypeScript loader.
 *
 * The runtime loads TypeScript with its vendored ts-node, which installs source-map-support:
 * every `new Error().stack` then goes through a source-map lookup frame by frame. The SDK takes
 * a stack for every resource (its source position) and every internal promise
 * (`debuggablePromise` in runtime/debuggable.js), so on the real estate that mapping cost more
 * than half of a preview (profiled under the engine stand-in, bench/engine.ts). Stacks are only
 * read by people when something crashes, and with transpile-only loading the lines of the
 * emitted JavaScript are those of the TypeScript source but for a few, so the mapping goes.
 * `K8S_INFRA_MAPPED_STACKS=true` keeps it.
 */
if (process.env.PULUMI_NODEJS_TYPESCRIPT === "true" && process.env.K8S_INFRA_MAPPED_STACKS !== "true") {
  Reflect.deleteProperty(Error, "prepareStackTrace");
}

/**
 * A local stand-in for the Pulumi engine's gRPC services (pulumirpc.ResourceMonitor and
 * pulumirpc.Engine), built on the stubs @pulumi/pulumi ships in proto/ and on @grpc/grpc-js,
 * listening on 127.0.0.1 only. It records every registration the Node.js runtime sends, answers
 * as the engine does for a preview (outputs = inputs, computed outputs unknown) or an update
 * (computed outputs filled in the way the cloud would), and serves the one invoke the program
 * makes (gcp:organizations/getOrganization:getOrganization). Not a test file itself.
 */
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import type * as resourceGrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import type * as resourcePb from "@pulumi/pulumi/proto/resource_pb";
import type * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import type * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import type * as providerPb from "@pulumi/pulumi/proto/provider_pb";
import type * as structPb from "google-protobuf/google/protobuf/struct_pb";
import type * as emptyPb from "google-protobuf/google/protobuf/empty_pb";

// The stubs must share the @grpc/grpc-js and google-protobuf instances @pulumi/pulumi loads.
const requirePulumi = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = requirePulumi("@grpc/grpc-js") as typeof grpcTypes;
const rgrpc = requirePulumi("./proto/resource_grpc_pb.js") as typeof resourceGrpc;
const rpb = requirePulumi("./proto/resource_pb.js") as typeof resourcePb;
const egrpc = requirePulumi("./proto/engine_grpc_pb.js") as typeof engineGrpc;
const epb = requirePulumi("./proto/engine_pb.js") as typeof enginePb;
const ppb = requirePulumi("./proto/provider_pb.js") as typeof providerPb;
const spb = requirePulumi("google-protobuf/google/protobuf/struct_pb.js") as typeof structPb;
const empb = requirePulumi("google-protobuf/google/protobuf/empty_pb.js") as typeof emptyPb;

/** The engine's marker for a value not known until the update. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SIG = "4dabf18193072939515e22adb298388d";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const ROOT_TYPE = "pulumi:pulumi:Stack";

export interface Registration {
  urn: string;
  type: string;
  name: string;
  /** null for the root stack; the root stack's URN for a top-level resource */
  parent: string | null;
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
  /** every resource this one depends on (explicit and through its properties) */
  dependencies: string[];
  /** property name -> the URNs its value came from */
  propertyDependencies: Record<string, string[]>;
  provider: string;
  version: string;
  inputs: Record<string, unknown>;
  /** milliseconds since the stand-in started */
  at: number;
}

export interface LogEntry {
  severity: number;
  message: string;
  urn: string;
}

export interface StandInOptions {
  project: string;
  stack: string;
  dryRun: boolean;
  /** what getOrganization answers as the Workspace customer id; UNKNOWN makes it unknown */
  directoryCustomerId?: string;
}

export interface EngineStandIn {
  /** host:port of both services */
  address: string;
  registrations: Registration[];
  /** outputs registered on each resource (the root stack's are the stack outputs) */
  outputs: Map<string, Record<string, unknown>>;
  invokes: { token: string; args: Record<string, unknown> }[];
  logs: LogEntry[];
  rootUrn(): string | undefined;
  close(): Promise<void>;
}

/** Values as the engine sees them: output values and secrets unwrapped, unknowns as UNKNOWN. */
export function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG] === OUTPUT_SIG) return "value" in o ? decode(o.value) : UNKNOWN;
    if (o[SIG] === SECRET_SIG) return decode(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

function urnOf(stack: string, project: string, type: string, name: string, parent: string): string {
  // As the engine's generateURN: the root stack's type is never part of a child's type chain.
  const parentType = parent ? parent.split("::")[2]! : "";
  const chain = parentType && parentType !== ROOT_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

/** Computed outputs the cloud assigns on create, for the types the program reads outputs of. */
function cloudOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "gcp:serviceaccount/account:Account": {
      const email = `${String(inputs.accountId)}@${String(inputs.project)}.iam.gserviceaccount.com`;
      return { email, member: `serviceAccount:${email}`, name: `projects/${String(inputs.project)}/serviceAccounts/${email}`, uniqueId: "1" + hash(name) };
    }
    case "gcp:cloudidentity/group:Group": {
      const id = `groups/0${hash(name)}`;
      return { name: id };
    }
    default:
      return {};
  }
}

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, "0");
}

export async function startEngine(options: StandInOptions): Promise<EngineStandIn> {
  const started = performance.now();
  const registrations: Registration[] = [];
  const outputs = new Map<string, Record<string, unknown>>();
  const invokes: EngineStandIn["invokes"] = [];
  const logs: LogEntry[] = [];
  let root: string | undefined;

  const monitor: resourceGrpc.IResourceMonitorServer = {
    supportsFeature(call, callback) {
      const supported = ["secrets", "resourceReferences", "outputValues", "deletedWith", "aliasSpecs"];
      callback(null, new rpb.SupportsFeatureResponse().setHassupport(supported.includes(call.request.getId())));
    },
    registerResource(call, callback) {
      const req = call.request;
      const type = req.getType();
      const name = req.getName();
      const parent = req.getParent();
      const urn = urnOf(options.stack, options.project, type, name, parent);
      const inputs = decode(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      const propertyDependencies: Record<string, string[]> = {};
      req.getPropertydependenciesMap().forEach((deps, key) => {
        propertyDependencies[key] = deps.getUrnsList();
      });
      registrations.push({
        urn,
        type,
        name,
        parent: parent || null,
        custom: req.getCustom(),
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        dependencies: req.getDependenciesList(),
        propertyDependencies,
        provider: req.getProvider(),
        version: req.getVersion(),
        inputs,
        at: performance.now() - started,
      });
      const res = new rpb.RegisterResourceResponse().setUrn(urn);
      if (req.getCustom()) {
        const isProvider = type.startsWith("pulumi:providers:");
        res.setId(options.dryRun ? (isProvider ? UNKNOWN : "") : `${hash(urn)}`);
        const state = options.dryRun ? inputs : { ...inputs, ...cloudOutputs(type, name, inputs), id: hash(urn) };
        res.setObject(spb.Struct.fromJavaScript(state as Record<string, structPb.JavaScriptValue>));
      }
      callback(null, res);
    },
    registerResourceOutputs(call, callback) {
      outputs.set(call.request.getUrn(), decode(call.request.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>);
      callback(null, new empb.Empty());
    },
    invoke(call, callback) {
      const token = call.request.getTok();
      const args = decode(call.request.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown>;
      invokes.push({ token, args });
      const response = new ppb.InvokeResponse();
      if (token === "gcp:organizations/getOrganization:getOrganization") {
        const org = String(args.organization ?? "");
        response.setReturn(
          spb.Struct.fromJavaScript({
            organization: org,
            orgId: org.replace(/^organizations\//, ""),
            name: org,
            domain: "example.com",
            directoryCustomerId: options.directoryCustomerId ?? "C0standin",
            id: org,
          }),
        );
      } else {
        const failure = new ppb.CheckFailure().setProperty("").setReason(`the stand-in serves no invoke ${token}`);
        response.setFailuresList([failure]);
      }
      callback(null, response);
    },
    signalAndWaitForShutdown(_call, callback) {
      callback(null, new empb.Empty());
    },
    // Not used by this program: the engine's "unimplemented" is what an old engine answers.
    getDeploymentInfo: unimplemented,
    call: unimplemented,
    readResource: unimplemented,
    registerStackTransform: unimplemented,
    registerStackInvokeTransform: unimplemented,
    registerResourceHook: unimplemented,
    registerErrorHook: unimplemented,
    registerPackage: unimplemented,
  };

  const engine: engineGrpc.IEngineServer = {
    log(call, callback) {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
      callback(null, new empb.Empty());
    },
    getRootResource(_call, callback) {
      callback(null, new epb.GetRootResourceResponse().setUrn(root ?? ""));
    },
    setRootResource(call, callback) {
      root = call.request.getUrn();
      callback(null, new epb.SetRootResourceResponse());
    },
    startDebugging: unimplemented,
    requirePulumiVersion(_call, callback) {
      callback(null, new epb.RequirePulumiVersionResponse());
    },
  };

  const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
  server.addService(rgrpc.ResourceMonitorService, monitor);
  server.addService(egrpc.EngineService, engine);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    registrations,
    outputs,
    invokes,
    logs,
    rootUrn: () => root,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

function unimplemented(_call: unknown, callback: (err: grpcTypes.ServiceError | null) => void): void {
  callback({ name: "Unimplemented", message: "not implemented by the stand-in", code: grpc.status.UNIMPLEMENTED, details: "", metadata: new grpc.Metadata() });
}

import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as analyzerpb from "@pulumi/pulumi/proto/analyzer_pb";
import * as analyzergrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { pulumiConfig, REPO_ROOT } from "./runtime";

/**
 * The policy pack under the engine's analyzer protocol: started as the engine starts a Node.js
 * pack (`node @pulumi/pulumi/cmd/run-policy-pack <engine> .` in the pack's folder, the stack's
 * configuration in PULUMI_CONFIG with `<namespace>:<key>` keys, PULUMI_NODEJS_STACK and friends:
 * NewPolicyAnalyzer and constructEnv in pkg/resource/plugin/analyzer_plugin.go of pulumi/pulumi),
 * then called over pulumirpc.Analyzer as the engine calls it for each resource.
 */

export const POLICY_DIR = path.join(REPO_ROOT, "policy");

export interface AnalyzedResource {
  type: string;
  name: string;
  urn: string;
  /** inputs; a value of UNKNOWN_INPUT is sent as the engine's unknown */
  props: Record<string, unknown>;
  protect: boolean;
}

export const UNKNOWN_INPUT = unknownValue;

export interface Diagnostic {
  policyName: string;
  message: string;
  urn: string;
  enforcementLevel: number;
}

export interface RunningPack {
  /** milliseconds from spawning node to the pack's port on stdout */
  startMs: number;
  info(): Promise<analyzerpb.AnalyzerInfo>;
  analyze(r: AnalyzedResource): Promise<Diagnostic[]>;
  stderr(): string;
  close(): Promise<void>;
}

/** PULUMI_CONFIG as the engine hands it to an analyzer: `config.Key.String()`, i.e. `<namespace>:<key>`. */
export function analyzerConfig(stack: string, override: Record<string, unknown> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(pulumiConfig(stack, override)).map(([k, v]) => [k.replace(":config:", ":"), v]));
}

export async function startPack(stack: string, options: { config?: Record<string, unknown>; dryRun?: boolean } = {}): Promise<RunningPack> {
  const runPath = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [POLICY_DIR] })), "cmd", "run-policy-pack");
  const env: Record<string, string | undefined> = {
    ...process.env,
    PULUMI_CONFIG: JSON.stringify(analyzerConfig(stack, options.config)),
    PULUMI_NODEJS_ORGANIZATION: "organization",
    PULUMI_NODEJS_PROJECT: "k8s-infra-staging",
    PULUMI_NODEJS_STACK: stack,
    PULUMI_NODEJS_DRY_RUN: String(options.dryRun ?? true),
    PULUMI_ORGANIZATION: "organization",
    PULUMI_PROJECT: "k8s-infra-staging",
    PULUMI_STACK: stack,
    PULUMI_DRY_RUN: String(options.dryRun ?? true),
  };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  const started = performance.now();
  // The engine's address: the pack does not call it for resource policies; an unused port stands in.
  const child: ChildProcess = spawn(process.execPath, [runPath, "127.0.0.1:1", "."], { cwd: POLICY_DIR, env: env as NodeJS.ProcessEnv });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (b: Buffer) => {
      stdout += b.toString();
      const line = /^(\d+)\s*$/m.exec(stdout);
      if (line) resolve(Number(line[1]));
    });
    child.on("exit", (code) => reject(new Error(`the policy pack exited ${String(code)} before serving: ${stderr}${stdout}`)));
  });
  const startMs = performance.now() - started;
  const client = new analyzergrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = <T>(f: (cb: (e: grpc.ServiceError | null, r: T) => void) => void) =>
    new Promise<T>((resolve, reject) => f((e, r) => (e ? reject(e) : resolve(r))));
  return {
    startMs,
    info: () => call<analyzerpb.AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb)),
    async analyze(r) {
      const req = new analyzerpb.AnalyzeRequest();
      req.setType(r.type);
      req.setName(r.name);
      req.setUrn(r.urn);
      req.setProperties(Struct.fromJavaScript(r.props as Record<string, never>));
      const opts = new analyzerpb.AnalyzerResourceOptions();
      opts.setProtect(r.protect);
      req.setOptions(opts);
      const res = await call<analyzerpb.AnalyzeResponse>((cb) => client.analyze(req, cb));
      return res.getDiagnosticsList().map((d) => ({ policyName: d.getPolicyname(), message: d.getMessage(), urn: d.getUrn(), enforcementLevel: d.getEnforcementlevel() }));
    },
    stderr: () => stderr,
    async close() {
      client.close();
      child.kill();
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.on("exit", resolve)));
    },
  };
}

import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, PROJECT, type StackConfig } from "../config";

/**
 * Reads this project's keys from the configuration the engine hands the process
 * (`PULUMI_CONFIG`: the program's, and a policy pack's); every bad key is named.
 */
export function configFromEngine(): StackConfig {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(":", 2);
    if (ns === PROJECT && name) raw[name] = value;
  }
  const { config, issues } = parseStackConfig(raw);
  if (!config) {
    throw new Error(
      `stack ${pulumi.getStack()} configuration is invalid; nothing is declared:\n` +
        issues.map((i) => `  ${PROJECT}:${i.key} ${i.message}`).join("\n"),
    );
  }
  return config;
}

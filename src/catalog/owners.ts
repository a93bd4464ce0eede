import { decode } from "./decode";
import type { Owners } from "./model";
import type { Problems } from "./problems";
import { OwnersSchema } from "./schemas";
import type { YamlFile } from "./yaml";

/** Reads a Prow OWNERS file; only its shape is checked. */
export function readOwners(file: YamlFile, dir: string, problems: Problems): Owners | undefined {
  const data = decode(file, OwnersSchema, problems);
  if (data === undefined) return undefined;
  return { dir, approvers: data?.approvers ?? [], reviewers: data?.reviewers ?? [] };
}

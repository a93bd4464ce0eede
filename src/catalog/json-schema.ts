import { z } from "zod";
import { GroupsFileSchema, ImagesSchema, InfraFileSchema, OwnersSchema, PlainManifestSchema, RestrictionsSchema, ThinManifestSchema } from "./schemas";

/**
 * JSON Schema of each catalog file kind, for editors that validate YAML as people type.
 * They carry the validator's value rules (schemas.ts, from rules.ts); what depends on
 * the stack's configuration or on other files is left to `npm run validate`.
 */
export const FILE_SCHEMAS = {
  "infra.schema.json": { schema: InfraFileSchema, title: "infra.yaml (infra.staging is strict)" },
  "images.schema.json": { schema: ImagesSchema, title: "images/<dir>/images.yaml" },
  "promoter-manifest.schema.json": { schema: ThinManifestSchema, title: "manifests/<dir>/promoter-manifest.yaml" },
  "plain-manifest.schema.json": { schema: PlainManifestSchema, title: "promoter-manifest.yaml with its images inline (a single-file promoter tree)" },
  "groups.schema.json": { schema: GroupsFileSchema, title: "groups/**/groups.yaml" },
  "restrictions.schema.json": { schema: RestrictionsSchema, title: "groups/restrictions.yaml" },
  "owners.schema.json": { schema: OwnersSchema, title: "images/<dir>/OWNERS" },
} as const;

export function jsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, { schema, title }] of Object.entries(FILE_SCHEMAS)) {
    const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" });
    out[file] = JSON.stringify({ title, ...json }, null, 2) + "\n";
  }
  return out;
}

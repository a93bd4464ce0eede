import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { jsonSchemas } from "../src/catalog/json-schema";

const DIR = path.resolve(__dirname, "../schemas");

describe("JSON Schemas for editors", () => {
  it("the committed schemas/ match the zod schemas (run npm run schemas after changing them)", () => {
    for (const [file, text] of Object.entries(jsonSchemas())) {
      expect(fs.readFileSync(path.join(DIR, file), "utf8"), file).toBe(text);
    }
  });

  it("the images schema rejects unknown keys, as the validator does", () => {
    const schema = JSON.parse(jsonSchemas()["images.schema.json"]!) as { anyOf: { items?: { additionalProperties?: boolean; required?: string[] } }[] };
    const list = schema.anyOf.find((s) => s.items);
    expect(list?.items?.additionalProperties).toBe(false);
    expect(list?.items?.required).toEqual(["name", "dmap"]);
  });
});

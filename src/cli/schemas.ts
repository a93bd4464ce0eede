import * as fs from "node:fs";
import * as path from "node:path";
import { jsonSchemas } from "../catalog/json-schema";
import { EXIT, parseFlags, PROJECT_DIR, runCommand } from "./common";

const USAGE = "npm run schemas -- [--out DIR]";

runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["out"] });
  const dir = path.resolve(flags.values.get("out") ?? path.join(PROJECT_DIR, "schemas"));
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(jsonSchemas())) fs.writeFileSync(path.join(dir, file), text);
  process.stdout.write(`wrote ${Object.keys(jsonSchemas()).length} JSON Schemas to ${dir}\n`);
  return EXIT.ok;
});

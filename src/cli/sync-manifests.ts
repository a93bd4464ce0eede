import { policyOf } from "../config";
import { syncManifests } from "../catalog/sync-manifests";
import { EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, writeOutputs } from "./common";
import * as path from "node:path";

const USAGE = "npm run sync-manifests -- [--catalog DIR] [--stack NAME] [--write]";

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack"], switches: ["write"] });
  const write = flags.switches.has("write");
  const { stack, config, catalogDir, layout, result } = loadForCommand(flags);
  const sync = syncManifests(catalogDir, layout, policyOf(config, stack), result.problems);
  if (sync.problems.length > 0) {
    printProblems(sync.problems);
    const files = new Set(sync.problems.map((p) => p.file)).size;
    process.stdout.write(`${files} manifest${files === 1 ? "" : "s"} cannot be synced; nothing is written\n`);
    return EXIT.errors;
  }
  const lines = sync.changed.flatMap((m) => m.changes.map((c) => `${m.file}: ${c.op} ${c.name}${c.why ? ` (${c.why})` : ""}`));
  if (lines.length > 0) process.stdout.write(lines.join("\n") + "\n");
  const n = sync.changed.length;
  const of = `${n} of ${sync.files} manifest${sync.files === 1 ? "" : "s"}`;
  if (n === 0) {
    process.stdout.write(`all ${sync.files} manifest${sync.files === 1 ? " is" : "s are"} in sync with the production roots of stack ${stack}\n`);
    return EXIT.ok;
  }
  if (!write) {
    process.stdout.write(`${of} out of sync with the production roots of stack ${stack}; run npm run sync-manifests -- --write\n`);
    return EXIT.errors;
  }
  writeOutputs(sync.changed.map((m) => ({ file: path.join(catalogDir, m.file), text: m.text })));
  process.stdout.write(`repaired ${of}\n`);
  return EXIT.ok;
});

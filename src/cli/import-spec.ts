import * as fs from "node:fs";
import { lookupsOf, SelectionError, select, summarise, toImportFile } from "../adopt/import-spec";
import { CLOUD_IDENTITY_ROOT, LookupError, lookUp, type LookupResults } from "../adopt/lookup";
import { provenanceContext } from "../adopt/provenance";
import { buildEstate } from "../estate/estate";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, UsageError, writeOutputs } from "./common";

const USAGE =
  "npm run import-spec -- [--stack NAME] [--catalog DIR] [--only PROJECT...] [--lookup [--api-root URL]] --out FILE";

runFromInvocationFolder();
// common.ts knows only its own commands: relative paths of `npm run import-spec` are relative to where it was typed too.
if (process.env.npm_lifecycle_event === "import-spec" && process.env.INIT_CWD && fs.existsSync(process.env.INIT_CWD)) process.chdir(process.env.INIT_CWD);

runCommand(USAGE, async () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack", "out", "api-root"], lists: ["only"], switches: ["lookup"] });
  const out = flags.values.get("out");
  if (!out) throw new UsageError("--out FILE is required");
  const apiRoot = flags.values.get("api-root");
  const lookup = flags.switches.has("lookup");
  if (apiRoot && !lookup) throw new UsageError("--api-root is only used with --lookup");
  if (apiRoot && !/^https?:\/\/[^/\s]+\/?$/.test(apiRoot)) throw new UsageError(`--api-root ${apiRoot}: must be an address such as ${CLOUD_IDENTITY_ROOT}`);
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; nothing is written\n");
    return EXIT.errors;
  }
  const estate = buildEstate(result.catalog, config, stack);
  let selected;
  try {
    selected = select(estate.declarations, flags.lists.get("only"));
  } catch (e) {
    if (e instanceof SelectionError) throw new UsageError(e.message);
    throw e;
  }
  let found: LookupResults | undefined;
  if (lookup) {
    const needed = lookupsOf(selected, estate.declarations);
    try {
      found = await lookUp(needed.groups, needed.memberships, {
        ...(apiRoot ? { rootUrl: apiRoot.endsWith("/") ? apiRoot : apiRoot + "/" } : {}),
        ...(config.cloudIdentityBillingProject ? { quotaProject: config.cloudIdentityBillingProject } : {}),
      });
    } catch (e) {
      if (!(e instanceof LookupError)) throw e;
      process.stderr.write(`error: ${e.message}; nothing is written\n`);
      return EXIT.errors;
    }
  }
  const file = toImportFile(selected, estate.declarations, {
    provenance: provenanceContext(result.catalog, config, estate.declarations),
    ...(found ? { lookup: found } : {}),
  });
  writeOutputs([{ file: out, text: JSON.stringify(file, null, 2) + "\n" }]);
  for (const u of file.unresolved) process.stderr.write(`look up: ${u.logicalName}: ${u.reason}${u.command ? `: ${u.command}` : ""}\n`);
  if (found) for (const c of file.created) if (c.reason.startsWith("--lookup:")) process.stdout.write(`not in the cloud yet: ${c.logicalName}: ${c.reason.slice("--lookup: ".length)}\n`);
  for (const b of file.before) process.stdout.write(`before pulumi import: ${b}\n`);
  const s = summarise(file);
  process.stdout.write(
    `${s.toImport} resources to import (under ${s.components} components declared in the file), ${s.toLookUp} to look up, ${s.createdByUp} created by pulumi up, written to ${out}\n`,
  );
  return EXIT.ok;
});

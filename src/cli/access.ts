import { accessChanges, accessChangesMarkdown, accessOf, findRegistry, knownMember, memberEmail, memberReach, reachReport, registryReport } from "../estate/access";
import { buildEstate } from "../estate/estate";
import { toPlan } from "../estate/plan";
import { guardResources } from "../policy/offline";
import { escapeControl } from "../catalog/problems";
import { countLine, EXIT, loadForCommand, parseFlags, printProblems, runCommand, runFromInvocationFolder, UsageError, writeOutputs } from "./common";

const USAGE = "npm run access -- [--catalog DIR] [--stack NAME] (--registry ADDRESS | --member EMAIL | --changes BASE_CATALOG_DIR [--markdown FILE])";

runFromInvocationFolder();
runCommand(USAGE, () => {
  const flags = parseFlags(process.argv.slice(2), { values: ["catalog", "stack", "registry", "member", "changes", "markdown"] });
  const registryArg = flags.values.get("registry");
  const memberArg = flags.values.get("member");
  const changesArg = flags.values.get("changes");
  const mdOut = flags.values.get("markdown");
  if ([registryArg, memberArg, changesArg].filter((x) => x !== undefined).length !== 1) throw new UsageError("give exactly one of --registry ADDRESS, --member EMAIL or --changes BASE_CATALOG_DIR");
  if (mdOut !== undefined && changesArg === undefined) throw new UsageError("--markdown goes with --changes BASE_CATALOG_DIR");
  const { stack, config, result } = loadForCommand(flags);
  printProblems(result.problems);
  if (!result.catalog) {
    process.stdout.write(countLine(result.problems) + "; access is not computed\n");
    return EXIT.errors;
  }
  const access = accessOf(guardResources(toPlan(buildEstate(result.catalog, config, stack))), result.catalog);
  const out = (lines: string[]) => process.stdout.write(lines.map(escapeControl).join("\n") + "\n");
  if (changesArg !== undefined) {
    const baseFlags = { ...flags, values: new Map(flags.values) };
    baseFlags.values.set("catalog", changesArg);
    const base = loadForCommand(baseFlags);
    // A base that does not load (it had errors before this change) has no access to compare with.
    const baseAccess = base.result.catalog ? accessOf(guardResources(toPlan(buildEstate(base.result.catalog, base.config, stack))), base.result.catalog) : undefined;
    const changes = baseAccess ? accessChanges(baseAccess, access) : [];
    if (mdOut !== undefined) writeOutputs([{ file: mdOut, text: accessChangesMarkdown(changes) }]);
    const n = changes.reduce((k, c) => k + c.added.length + c.removed.length, 0);
    for (const c of changes) out([...c.added.map((x) => `${c.registry}: + ${x}`), ...c.removed.map((x) => `${c.registry}: - ${x}`)]);
    out([baseAccess ? (n === 0 ? "write access: unchanged" : `write access: ${n} changes in ${changes.length} registries`) : "write access: the base catalog does not load; nothing to compare"]);
    return EXIT.ok;
  }
  if (registryArg !== undefined) {
    const registry = findRegistry(access, registryArg);
    if (!registry) {
      const some = access.registries.slice(0, 3).map((r) => r.address);
      out([`${registryArg} is not a repository of stack ${stack}; give one of its ${access.registries.length} repository addresses, e.g. ${some.join(", ")}`]);
      return EXIT.errors;
    }
    const lines = registryReport(access, registry);
    out(lines.length > 0 ? lines : [`no one can push to ${registry.address}`]);
    return EXIT.ok;
  }
  const email = memberEmail(memberArg!);
  if (!knownMember(access, email)) {
    out([`${memberArg} is in no grant or group of stack ${stack}; give the email of a user, group or service account the catalog names`]);
    return EXIT.errors;
  }
  const reach = memberReach(access, email);
  out(reach.length > 0 ? reachReport(reach) : [`${email} can push to no repository of stack ${stack}`]);
  return EXIT.ok;
});

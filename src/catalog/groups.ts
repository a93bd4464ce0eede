import { RE2JS } from "re2js";
import { decode } from "./decode";
import type { CatalogPolicy, StagingGroup } from "./model";
import type { Problems } from "./problems";
import { emailProblem, EXAMPLE_DOMAIN_SUFFIX, EXAMPLE_REFUSAL, GROUP_DESCRIPTION_MAX, GROUP_PREFIX, GROUP_SUFFIX_MAX } from "./rules";
import { GroupsFileSchema, RestrictionsSchema } from "./schemas";
import type { YamlFile } from "./yaml";

interface Restriction {
  path: RegExp;
  /** RE2 patterns, as the upstream reconciler (Go regexp) compiles them: linear time, no lookaround */
  allowed: RE2JS[];
}

/** A restrictions.yaml path glob (`*`, `**`, `?`) as a regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += glob[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function readRestrictions(file: YamlFile, problems: Problems): Restriction[] | undefined {
  const data = decode(file, RestrictionsSchema, problems);
  if (!data) return undefined;
  return data.restrictions.map((r, i) => ({
    path: globToRegExp(r.path),
    allowed: (r.allowedGroups ?? []).flatMap((pattern, j) => {
      try {
        return [RE2JS.compile(pattern)];
      } catch (e) {
        problems.error(
          file.file,
          file.at(["restrictions", i, "allowedGroups", j]),
          `allowedGroups pattern "${pattern}" is not a valid RE2 (Go) regular expression: ${(e as Error).message}`,
        );
        return [];
      }
    }),
  }));
}

/**
 * Reads the staging writers groups (`k8s-infra-staging-*`) of every groups.yaml;
 * other groups are ignored. `groupsDir` is the folder restrictions paths are relative to.
 */
export function readGroups(
  files: { file: YamlFile; pathInGroups: string }[],
  restrictions: Restriction[] | undefined,
  policy: CatalogPolicy,
  problems: Problems,
): StagingGroup[] {
  const groups = new Map<string, StagingGroup & { line: number }>();
  for (const { file, pathInGroups } of files) {
    const data = decode(file, GroupsFileSchema, problems);
    if (!data) continue;
    if (data.teams && data.teams.length > 0) {
      problems.warning(
        file.file,
        file.at(["teams"], "key"),
        `key "teams" is not read by the groups reconciler: its ${data.teams.length} group${data.teams.length === 1 ? " is" : "s are"} not managed; move ${data.teams.length === 1 ? "it" : "them"} under "groups"`,
      );
    }
    const restriction = restrictions?.find((r) => r.path.test(pathInGroups));
    (data.groups ?? []).forEach((g, i) => {
      const at = (...path: (string | number)[]) => file.at(["groups", i, ...path]);
      const err = (pos: { line: number; col: number }, message: string) => problems.error(file.file, pos, message);
      if (!policy.exampleEstate) {
        for (const list of ["owners", "managers", "members"] as const) {
          (g[list] ?? []).forEach((m, j) => {
            if (m.toLowerCase().endsWith(EXAMPLE_DOMAIN_SUFFIX)) err(at(list, j), `${m} ${EXAMPLE_REFUSAL}`);
          });
        }
      }
      if (!g.name.startsWith(GROUP_PREFIX)) {
        // A staging group spelled with capitals would otherwise be ignored, and its writers planned without it.
        if (g.name.toLowerCase().startsWith(GROUP_PREFIX) || g["email-id"].toLowerCase().startsWith(GROUP_PREFIX))
          err(at("name"), `group ${g.name} (${g["email-id"]}) differs from a staging writers group only by case; write its name and email-id in lowercase`);
        return;
      }
      const email = `${g.name}@${policy.domain}`;
      if (g["email-id"] !== email) err(at("email-id"), `email-id "${g["email-id"]}" must be "${email}" (the name at the domain)`);
      const suffix = g.name.slice(GROUP_PREFIX.length);
      if (suffix.length === 0 || suffix.length > GROUP_SUFFIX_MAX)
        err(at("name"), `group name "${g.name}" must have 1 to ${GROUP_SUFFIX_MAX} characters after "${GROUP_PREFIX}" (it has ${suffix.length})`);
      if (g.owners && g.owners.length > 0) err(at("owners"), `staging group ${g.name} must not have owners; list them as managers`);
      if (g.settings?.ReconcileMembers !== "true")
        err(g.settings ? at("settings") : at("name"), `staging group ${g.name} must set settings.ReconcileMembers: "true"`);
      if ((g.description ?? "").length > GROUP_DESCRIPTION_MAX)
        err(at("description"), `description of ${g.name} must be at most ${GROUP_DESCRIPTION_MAX} characters (it has ${(g.description ?? "").length})`);
      const seen = new Map<string, string>();
      for (const list of ["managers", "members"] as const) {
        (g[list] ?? []).forEach((m, j) => {
          const ep = emailProblem(m);
          if (ep) err(at(list, j), `${list} entry ${ep}`);
          else if (m !== m.toLowerCase()) err(at(list, j), `${list} entry ${m} must be written in lowercase (${m.toLowerCase()}): addresses are compared in lowercase`);
          const key = m.toLowerCase();
          const first = seen.get(key);
          if (first !== undefined) err(at(list, j), `${m} appears twice in ${g.name} (also in ${first}); list each person once`);
          else seen.set(key, list);
        });
      }
      if (restrictions && !restriction?.allowed.some((re) => re.matcher(g["email-id"]).find())) {
        err(at("email-id"), `groups/restrictions.yaml does not allow ${g["email-id"]} in groups/${pathInGroups}; add it there or move the group`);
      }
      const line = at().line;
      const prev = groups.get(email);
      if (prev) {
        err(at("name"), `group ${g.name} is already declared in ${prev.file}:${prev.line}; declare it once`);
        return;
      }
      groups.set(email, {
        email,
        name: g.name,
        description: (g.description ?? "").trim(),
        file: file.file,
        line,
        managers: [...new Set(g.managers ?? [])].sort(),
        members: [...new Set(g.members ?? [])].sort(),
      });
    });
  }
  return [...groups.values()]
    .map(({ line: _line, ...g }) => g)
    .sort((a, b) => (a.email < b.email ? -1 : 1));
}

import { z } from "zod";
import type { Problems } from "./problems";
import type { PathKey, YamlFile } from "./yaml";

/** A strict mapping: unknown keys are errors that list the allowed ones. */
export function strictMap<T extends z.ZodRawShape>(shape: T) {
  const allowed = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => (iss.code === "unrecognized_keys" ? `allowed keys are: ${allowed}` : undefined),
  });
}

/** A whole number written in YAML (kept as text by the reader). */
export const wholeNumber = z
  .string({ error: "must be a whole number" })
  .regex(/^[0-9]+$/, { error: "must be a whole number" })
  .transform(Number);

export function pathLabel(path: readonly PathKey[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out === "" ? "the document" : out;
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return "empty";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "boolean") return `the boolean ${v}`;
  return `"${String(v)}"`;
}

const EXPECTED: Record<string, string> = {
  string: "text",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
  record: "a mapping",
  number: "a number",
  null: "empty",
};

/**
 * Checks a parsed file against its schema and reports every issue at its
 * line; returns the typed value only when there is none.
 */
export function decode<S extends z.ZodType>(
  file: YamlFile,
  schema: S,
  problems: Problems,
): z.output<S> | undefined {
  if (file.value === undefined) return undefined;
  const result = schema.safeParse(file.value);
  if (result.success) return result.data;
  for (const iss of result.error.issues) {
    const path = iss.path.filter((p): p is PathKey => typeof p !== "symbol");
    const label = pathLabel(path);
    if (iss.code === "unrecognized_keys") {
      for (const key of iss.keys) {
        const where = path.length ? ` in ${label}` : "";
        problems.error(file.file, file.at([...path, key], "key"), `unknown key "${key}"${where}; ${iss.message}`);
      }
      continue;
    }
    const input = valueAt(file.value, path);
    let message: string;
    if (iss.code === "invalid_type") {
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      // A schema's own wording ("must be a whole number") beats the generic type name.
      const must = iss.message.startsWith("must ") ? iss.message : `must be ${expected}`;
      message = input === undefined ? `${label} is required` : `${label} ${must}, not ${describeValue(input)}`;
    } else {
      message = iss.message.includes(label) ? iss.message : `${label} ${iss.message}`;
    }
    problems.error(file.file, file.at(path), message);
  }
  return undefined;
}

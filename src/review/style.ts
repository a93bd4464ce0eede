/** Colour only on a terminal, never when piped or with a non-empty NO_COLOR (no-color.org). */
export interface Style {
  add(s: string): string;
  del(s: string): string;
  chg(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const wrap = (code: string) => (s: string) => `\x1b[${code}m${s}\x1b[0m`;
const plainText = (s: string) => s;

export const PLAIN: Style = { add: plainText, del: plainText, chg: plainText, bold: plainText, dim: plainText };
export const COLOUR: Style = { add: wrap("32"), del: wrap("31"), chg: wrap("33"), bold: wrap("1"), dim: wrap("2") };

export function styleFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Style {
  return stream.isTTY && !env.NO_COLOR ? COLOUR : PLAIN;
}

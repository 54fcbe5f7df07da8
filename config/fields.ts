// Small helpers that declare one setting of fruits.config.json: its zod type, default,
// environment variable and documentation side by side. The loader, the JSON Schema and the
// README table all read what these register, so a field is described in one place only.
import { z } from 'zod';
import type { Problem } from './errors.js';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'path' | 'keyPath' | 'sparkConf' | 'list';

export interface FieldInfo {
  kind: FieldKind;
  description: string;
  /** Environment variable that overrides the file (env beats the file, flags beat env). */
  env?: string;
  /** The default value, if any. */
  default?: unknown;
  /** The default as documented when the value alone would mislead (e.g. "`region`"). */
  defaultDoc?: string;
  /** A relative default path is relative to the checkout root (default), or to the config file's folder (the cwd without a file). */
  defaultRelativeTo?: 'root' | 'file';
  min?: number;
  max?: number;
  /** min itself is refused (e.g. (0, 1]). */
  minExclusive?: boolean;
  values?: readonly string[];
}

/** Every leaf schema -> what the loader and the docs need to know about it. */
export const fieldRegistry = z.registry<FieldInfo>();

interface Common<T> {
  description: string;
  env?: string;
  default?: T;
  defaultDoc?: string;
  /** A rule on the value (see rules.ts); its problem becomes the error. */
  rule?: (value: T) => Problem | undefined;
}

/** A field with a default always has a value; one without is optional. */
type Field<T extends z.ZodType, O> = O extends { default: unknown } ? z.ZodDefault<T> : z.ZodOptional<T>;

function finish<T extends z.ZodType, O extends Common<z.output<T>>>(schema: T, kind: FieldKind, o: O, extra: Partial<FieldInfo> = {}): Field<T, O> {
  const rule = o.rule;
  const checked = rule
    ? schema.superRefine((value, ctx) => {
        const p = rule(value as z.output<T>);
        if (p) ctx.addIssue({ code: 'custom', message: p.problem, params: { fix: p.fix } });
      })
    : schema;
  const info: FieldInfo = {
    kind,
    description: o.description,
    ...(o.env ? { env: o.env } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}),
    ...(o.defaultDoc ? { defaultDoc: o.defaultDoc } : {}),
    ...extra,
  };
  const meta = { description: o.description, ...(o.env ? { env: o.env } : {}) };
  // zod's .default() returns a fresh copy for objects; it never runs the checks (defaults are valid).
  const field = o.default !== undefined ? checked.default(o.default as never) : checked.optional();
  return field.register(fieldRegistry, info).meta(meta) as unknown as Field<T, O>;
}

export const str = <O extends Common<string>>(o: O) => finish(z.string(), 'string', o);
export const remotePath = str; // a path on another host (the VM): kept as written, ~ included

/** A path on this host: `~` expanded; relative to the config file, or to the cwd when from env or a flag. */
export const localPath = <O extends Common<string>>(o: O & { defaultRelativeTo?: 'root' | 'file' }) =>
  finish(z.string(), 'path', o, o.defaultRelativeTo ? { defaultRelativeTo: o.defaultRelativeTo } : {});

export const int = <O extends Common<number> & { min: number; max: number }>(o: O) =>
  finish(z.int().min(o.min).max(o.max), 'integer', o, { min: o.min, max: o.max });

export const num = <O extends Common<number> & { min: number; max: number; minExclusive?: boolean }>(o: O) =>
  finish((o.minExclusive ? z.number().gt(o.min) : z.number().min(o.min)).max(o.max), 'number', o, {
    min: o.min, max: o.max, ...(o.minExclusive ? { minExclusive: true } : {}),
  });

export const bool = <O extends Common<boolean>>(o: O) => finish(z.boolean(), 'boolean', o);

export const oneOf = <const V extends readonly [string, ...string[]], O extends Common<V[number]>>(values: V, o: O) =>
  finish(z.enum(values), 'enum', o, { values });

/** Spark settings (--conf key=value); numbers and booleans become strings. */
export const sparkConf = <O extends Common<Record<string, string>>>(o: O) =>
  finish(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)), 'sparkConf', o);

/** A list of names (in the environment: comma-separated), at least one, at most `max`. */
export const strList = <O extends Common<string[]> & { max: number }>(o: O) =>
  finish(z.array(z.string().min(1)).min(1).max(o.max), 'list', o, { max: o.max });

/** The operator's public key: kept as written (it is printed in the stack's SSH command), relative paths from the file made relative to it. */
export const keyPath = <O extends Common<string>>(o: O) => finish(z.string(), 'keyPath', o);

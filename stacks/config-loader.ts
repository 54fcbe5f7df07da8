// Thin side-effecting edge of the config: finds and reads the config file and the
// public key file, then hands plain values to the pure validators in ./config.ts.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type EmrConfig, type FruitsConfig, parsePublicKey, resolveConfig } from './config.js';

export const DEFAULT_CONFIG_FILE = 'fruits.config.json';

export interface LoadOptions {
  /** Directory that relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
  /** Environment (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Expand a leading ~ and resolve relative paths against cwd. */
export function resolveUserPath(path: string, cwd: string, home = homedir()): string {
  const expanded = path === '~' ? home : path.startsWith('~/') ? `${home}/${path.slice(2)}` : path;
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}

/**
 * Load the config: FRUITS_CONFIG names the file (it must exist), otherwise
 * ./fruits.config.json is used when present, otherwise environment variables alone.
 */
export function loadConfig(options: LoadOptions = {}): FruitsConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const explicit = env.FRUITS_CONFIG?.trim();
  const path = explicit ? resolveUserPath(explicit, cwd) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (explicit && !existsSync(path)) {
    throw new ConfigError(`FRUITS_CONFIG points at ${path}, which does not exist; fix the path or unset FRUITS_CONFIG`);
  }
  let fileJson: unknown;
  const label = explicit ? path : DEFAULT_CONFIG_FILE;
  if (existsSync(path)) {
    try {
      fileJson = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${label} is not valid JSON (${(e as Error).message}); compare it with fruits.config.example.json`);
    }
  }
  const config = resolveConfig(fileJson, env, label);
  // Like the runner: a relative path written in the config file is relative to that file.
  const keyFromEnv = (env.FRUITS_PUBLIC_KEY_PATH ?? '').trim() !== '';
  if (
    fileJson !== undefined &&
    !keyFromEnv &&
    config.publicKeyPath !== undefined &&
    !config.publicKeyPath.startsWith('~') &&
    !isAbsolute(config.publicKeyPath)
  ) {
    config.publicKeyPath = resolve(dirname(path), config.publicKeyPath);
  }
  return config;
}

/**
 * Read and validate the operator's public key; returns "type base64".
 * A relative path (from FRUITS_PUBLIC_KEY_PATH) is relative to cwd.
 */
export function readPublicKey(config: EmrConfig, options: Pick<LoadOptions, 'cwd'> = {}): string {
  const path = resolveUserPath(config.publicKeyPath, options.cwd ?? process.cwd());
  if (!existsSync(path)) {
    throw new ConfigError(
      `public key file ${path} does not exist; set FRUITS_PUBLIC_KEY_PATH (or "publicKeyPath") to your .pub file, or create one with: ssh-keygen -t ed25519 -f ${path.replace(/\.pub$/, '')}`,
    );
  }
  return parsePublicKey(readFileSync(path, 'utf8'), path);
}

import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';

/** Versions of the pieces a notebook runs on; `null` where a piece is not installed. */
export interface EnvironmentVersions {
  node: string;
  tfjs: string;
  tfjsCore: string;
  tslab: string | null;
  /** The TypeScript that tslab compiles notebook cells with. */
  typescript: string | null;
  platform: string;
}

/** The fields of a package.json that replearn reads. */
export interface PackageJson {
  name?: string;
  version?: string;
}

/** A package.json at `file`; null when it cannot be read or parsed. */
export function readPackageJson(file: string): PackageJson | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;
  } catch {
    return null;
  }
}

/** The package.json of installed package `name`, found as `require` finds it; null when it is not installed. */
export function installedPackage(name: string): PackageJson | null {
  let file: string;
  try {
    file = require.resolve(`${name}/package.json`);
  } catch {
    return null;
  }
  return readPackageJson(file);
}

/** Reads the versions of Node, TF.js, tslab and tslab's TypeScript from the installed packages. */
export function environmentVersions(): EnvironmentVersions {
  return {
    node: process.version.replace(/^v/, ''),
    tfjs: tf.version.tfjs,
    tfjsCore: tf.version_core,
    tslab: installedPackage('tslab')?.version ?? null,
    typescript: installedPackage('@tslab/typescript-for-tslab')?.version ?? null,
    platform: `${process.platform} ${process.arch}`,
  };
}

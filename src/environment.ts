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

function installedVersion(name: string): string | null {
  try {
    const json = JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version?: string };
    return json.version ?? null;
  } catch {
    return null;
  }
}

/** Reads the versions of Node, TF.js, tslab and tslab's TypeScript from the installed packages. */
export function environmentVersions(): EnvironmentVersions {
  return {
    node: process.version.replace(/^v/, ''),
    tfjs: tf.version.tfjs,
    tfjsCore: tf.version_core,
    tslab: installedVersion('tslab'),
    typescript: installedVersion('@tslab/typescript-for-tslab'),
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The run profiles: `smoke` (CI, minutes on 2 CPU cores), `standard` (a laptop), `full` (GPU or native). */
export type ProfileName = 'smoke' | 'standard' | 'full';

/** Every profile name, in increasing order of work. */
export const profileNames: readonly ProfileName[] = ['smoke', 'standard', 'full'];

function isProfileName(value: string): value is ProfileName {
  return (profileNames as readonly string[]).includes(value);
}

/**
 * The profile named by `REPLEARN_PROFILE` (default `standard`); an unknown value is an error that
 * names the variable, the allowed values and what it got.
 */
export function currentProfile(env: Record<string, string | undefined> = process.env): ProfileName {
  const raw = env.REPLEARN_PROFILE;
  if (raw === undefined || raw === '') return 'standard';
  const value = raw.trim().toLowerCase();
  if (!isProfileName(value)) {
    throw new Error(`REPLEARN_PROFILE must be one of ${profileNames.join('|')}, got "${raw}"`);
  }
  return value;
}

/** Picks the value for the current profile from one entry per profile. */
export function byProfile<T>(values: Record<ProfileName, T>, profile: ProfileName = currentProfile()): T {
  return values[profile];
}

import fs from 'node:fs';

/** A lock file held by this process; see `takeLockFile`. */
export interface FileLock {
  /** The lock file, which holds this process's id. */
  readonly file: string;
  /** Removes the lock file if it still holds this process's id; calling it again does nothing. */
  release(): void;
}

/** True unless `process.kill(pid, 0)` says there is no such process (ESRCH); EPERM means it runs as another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** The process id a PID file (a lock, a kernel's PID file) holds; undefined when the file is missing or holds no id. */
export function readPidFile(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Takes the lock file `file` (its folder must exist): creates it holding this process's id with the
 * exclusive flag. A lock whose process no longer runs, or that holds no process id, is stale and
 * taken over; a lock of a live process, this one included, is an error with `busy(pid)` as its message.
 */
export function takeLockFile(file: string, busy: (pid: number) => string): FileLock {
  // A few attempts: another process may take over or release the same stale lock meanwhile.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        file,
        release: () => {
          if (readPidFile(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot take the lock ${file}: ${(error as Error).message}`);
    }
    const holder = readPidFile(file);
    if (holder !== undefined && isProcessAlive(holder)) throw new Error(busy(holder));
    fs.rmSync(file, { force: true });
  }
  throw new Error(`cannot take the lock ${file}: another process took it while this one took over a stale lock`);
}

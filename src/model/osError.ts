/**
 * File-system errors, told apart: only ENOENT (nothing there) and ENOTDIR (a parent is a file, so nothing
 * can be there) mean a path is absent. Anything else (EACCES, EIO, ELOOP, ENAMETOOLONG…) is a failure
 * to report, never a reason to act as if the file did not exist.
 */
export function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** `EACCES: permission denied`: the OS error's code and description, without the syscall and path Node appends. */
export function osErrorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/, [a-z_]+(?: '[\s\S]*)?$/, '');
}

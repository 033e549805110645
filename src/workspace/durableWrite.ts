import fs from 'node:fs';

/**
 * How far a write must get before the next step: `normal` survives a crash of the process (the kernel
 * keeps what was written and renamed), so nothing is fsynced; `full` also survives a power cut, so each
 * file is fsynced before it is renamed and each directory after a rename into it.
 */
export type WriteDurability = 'normal' | 'full';

export function writeFileFor(durability: WriteDurability, file: string, content: string | Buffer, mode?: number, flags = 'wx'): void {
  const fd = fs.openSync(file, flags, mode);
  try {
    fs.writeFileSync(fd, content);
    if (durability === 'full') fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** At `full`, makes the renames into these directories durable; nothing at `normal`. */
export function syncDirsFor(durability: WriteDurability, dirs: Iterable<string>): void {
  if (durability !== 'full') return;
  for (const dir of new Set(dirs)) {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

import { access } from "node:fs/promises";

/** Whether a file or directory exists (and is reachable). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

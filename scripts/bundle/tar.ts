/**
 * A reproducible tar writer: POSIX ustar headers (a pax header where a path does not fit), owner
 * root, one fixed mtime, modes 0755/0644, entries in the order given. Same inputs, same bytes:
 * GNU tar and Python's tarfile both read it.
 */

const BLOCK = 512;

/** One archive member; directories are written for every parent of a file automatically. */
export interface TarEntry {
  /** `/`-separated, relative, no `..`: `hybrid-ir-0.1.0/bin/hybrid-ir`. */
  readonly path: string;
  /** File contents. */
  readonly data: Uint8Array;
  readonly executable: boolean;
}

function octal(value: number, width: number): string {
  // width − 1 digits and a NUL, as ustar wants.
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function writeString(header: Buffer, offset: number, width: number, text: string): void {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > width) throw new Error(`tar: '${text}' does not fit in ${width} bytes`);
  bytes.copy(header, offset);
}

/** ustar splits a long path into prefix (≤ 155 bytes) "/" name (≤ 100 bytes) at some slash. */
function splitUstar(path: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  for (let i = path.indexOf("/"); i !== -1; i = path.indexOf("/", i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== "") return { prefix, name };
  }
  return undefined;
}

function header(path: string, size: number, mode: number, type: "0" | "5" | "x", mtime: number): Buffer {
  const split = splitUstar(path);
  if (split === undefined) throw new Error(`tar: path needs a pax header: ${path}`);
  const h = Buffer.alloc(BLOCK);
  writeString(h, 0, 100, split.name);
  writeString(h, 100, 8, octal(mode, 8));
  writeString(h, 108, 8, octal(0, 8)); // uid
  writeString(h, 116, 8, octal(0, 8)); // gid
  writeString(h, 124, 12, octal(size, 12));
  writeString(h, 136, 12, octal(mtime, 12));
  h.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(h, 156, 1, type);
  writeString(h, 257, 6, "ustar\0");
  writeString(h, 263, 2, "00");
  writeString(h, 265, 32, "root");
  writeString(h, 297, 32, "root");
  writeString(h, 345, 155, split.prefix);
  let sum = 0;
  for (const byte of h) sum += byte;
  writeString(h, 148, 8, sum.toString(8).padStart(6, "0") + "\0 ");
  return h;
}

/** A pax extended header carrying `path`, for the member that follows it. */
function paxHeader(path: string, mtime: number): Buffer {
  const body = (key: string, value: string): string => {
    // The length field counts itself: grow it until it is consistent.
    const rest = ` ${key}=${value}\n`;
    let length = Buffer.byteLength(rest);
    while (String(length).length + Buffer.byteLength(rest) !== length) length = String(length).length + Buffer.byteLength(rest);
    return `${length}${rest}`;
  };
  const data = Buffer.from(body("path", path), "utf8");
  return Buffer.concat([header("PaxHeader", data.length, 0o644, "x", mtime), pad(data)]);
}

function pad(data: Uint8Array): Buffer {
  const rest = data.length % BLOCK;
  return Buffer.concat([data, Buffer.alloc(rest === 0 ? 0 : BLOCK - rest)]);
}

function member(path: string, data: Uint8Array, mode: number, type: "0" | "5", mtime: number): Buffer[] {
  const parts: Buffer[] = [];
  let name = path;
  if (splitUstar(path) === undefined) {
    parts.push(paxHeader(path, mtime));
    // Readers take the pax path; the ustar name is only a stand-in for ones that do not.
    name = path.split("/").filter(Boolean).pop()!.replace(/[^\x20-\x7e]/g, "_").slice(0, 99);
  }
  parts.push(header(name, data.length, mode, type, mtime));
  if (data.length > 0) {
    parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const rest = data.length % BLOCK;
    if (rest !== 0) parts.push(Buffer.alloc(BLOCK - rest));
  }
  return parts;
}

/**
 * The tar stream of `entries`, in their order, each file preceded by any parent directory not
 * written yet; for `stream.pipeline(Readable.from(tarChunks(…)), createGzip(), file)`.
 * `mtime` is seconds since the epoch.
 */
export async function* tarChunks(entries: Iterable<TarEntry> | AsyncIterable<TarEntry>, mtime: number): AsyncGenerator<Buffer> {
  const dirs = new Set<string>();
  for await (const entry of entries) {
    if (entry.path.startsWith("/") || entry.path.split("/").includes("..")) throw new Error(`tar: unsafe path ${entry.path}`);
    const segments = entry.path.split("/");
    for (let i = 1; i < segments.length; i++) {
      const dir = `${segments.slice(0, i).join("/")}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      for (const part of member(dir, new Uint8Array(0), 0o755, "5", mtime)) yield part;
    }
    for (const part of member(entry.path, entry.data, entry.executable ? 0o755 : 0o644, "0", mtime)) yield part;
  }
  yield Buffer.alloc(2 * BLOCK); // end of archive
}

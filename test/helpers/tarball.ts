import { Header } from 'tar';

export type Member =
  | { path: string; type?: 'File'; data: string | Buffer; mode?: number }
  | { path: string; type: 'Directory'; mode?: number }
  | { path: string; type: 'SymbolicLink' | 'Link'; linkpath: string };

/**
 * A ustar archive written member by member with node-tar's Header, so tests can build archives that tar tools refuse
 * to make (`../escape`, `/abs/path`, links out of the tree).
 */
export function tarball(members: Member[]): Buffer {
  const blocks: Buffer[] = [];
  for (const m of members) {
    const data = 'data' in m ? Buffer.from(m.data) : Buffer.alloc(0);
    const header = Buffer.alloc(512);
    new Header({
      path: m.path,
      type: m.type ?? 'File',
      size: data.length,
      mode: 'mode' in m && m.mode !== undefined ? m.mode : m.type === 'Directory' ? 0o755 : 0o644,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
      ...('linkpath' in m ? { linkpath: m.linkpath } : {}),
    }).encode(header);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

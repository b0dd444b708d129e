/**
 * The Node.js versions package.json promises (`engines.node`, repeated in the README) must be ones every
 * locked package accepts: otherwise `npm install` warns EBADENGINE on a supported Node, or a package
 * refuses to load there. Checked against the lowest promised version and the Node running the tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as semver from 'semver';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

/** Locked packages that refuse `nodeVersion`, as `name@version wants range`. */
function refusing(nodeVersion: string): string[] {
  const out: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
    if (path === '' || range === undefined) continue;
    if (!semver.satisfies(nodeVersion, range)) out.push(`${path.replace(/^.*node_modules\//, '')}@${entry.version} wants ${range}`);
  }
  return out;
}

describe('Node.js engines', () => {
  const lowest = semver.minVersion(manifest.engines.node)!.version;

  it('every locked package accepts the lowest Node.js version package.json promises', () => {
    expect(refusing(lowest)).toEqual([]);
  });

  it('every locked package accepts the Node.js version running the tests', () => {
    expect(refusing(process.versions.node)).toEqual([]);
  });

  it('the README promises the same lowest version as package.json', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const [major, minor] = lowest.split('.');
    expect(readme).toContain(`Node.js ${major}.${minor}+`);
  });
});

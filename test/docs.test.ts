import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, it } from 'node:test';

// The manual is README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md linking into each other: a page
// renamed or a heading reworded would leave a link that leads nowhere, and nobody clicks every link.
const pages = [
  'README.md',
  'CONTRIBUTING.md',
  'CHANGELOG.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The page without its fenced code blocks and inline code, where `#` and `](` are not Markdown. */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line.replace(/`[^`]*`/g, (code) => (code.includes('](') ? '' : code));
  });
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchors(path: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(readFileSync(path, 'utf8'))) {
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

/** Every relative link of a page that does not lead to a file, or to a heading of it. */
function brokenLinks(page: string): string[] {
  const broken: string[] = [];
  for (const line of prose(readFileSync(page, 'utf8'))) {
    for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue;
      const [file, anchor] = target.split('#');
      const path = file ? normalize(join(dirname(page), decodeURIComponent(file))) : page;
      if (!existsSync(path)) broken.push(`${target} (no file ${path})`);
      else if (anchor !== undefined && (statSync(path).isDirectory() || !anchors(path).has(anchor)))
        broken.push(`${target} (no heading #${anchor} in ${path})`);
    }
  }
  return broken;
}

describe('the manual', () => {
  it('every relative link and anchor in README.md, CONTRIBUTING.md, CHANGELOG.md and docs/*.md resolves', () => {
    assert.ok(pages.length > 5, pages.join(', '));
    for (const page of pages) assert.deepEqual(brokenLinks(page), [], page);
  });

  it('the changelog has one section per version, each with Added, Changed, Fixed at most once', () => {
    const versions = readFileSync('CHANGELOG.md', 'utf8').split(/^## /m).slice(1);
    assert.match(versions[0], /^\[Unreleased\]/);
    for (const version of versions) {
      const kinds = [...version.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
      const allowed = ['Added', 'Changed', 'Deprecated', 'Removed', 'Fixed', 'Security'];
      assert.deepEqual(
        kinds,
        [...new Set(kinds)].filter((k) => allowed.includes(k)),
        version.split('\n')[0],
      );
    }
  });

  it('the README is an entry, not the manual', () => {
    const lines = readFileSync('README.md', 'utf8').split('\n').length;
    assert.ok(lines <= 200, `README.md has ${lines} lines; the manual belongs in docs/`);
  });
});

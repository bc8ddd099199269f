import assert from 'node:assert/strict';
import { isErrorCode } from '../../platform/errors.ts';
import { canonicalSpecJson, specHash } from './canonical.ts';
import { specIssues } from './errors.ts';
import { parsePipelineSpec, parsePipelineSpecs, parseSpecDocuments } from './parse.ts';

// Pachyderm's OpenCV example, as its docs print it.
const EDGES_JSON = `{
  "pipeline": {
    "name": "edges"
  },
  "description": "A pipeline that performs image edge detection by using the OpenCV library.",
  "transform": {
    "cmd": [ "python3", "/edges.py" ],
    "image": "pachyderm/opencv:1.0"
  },
  "input": {
    "pfs": {
      "repo": "images",
      "glob": "/*"
    }
  }
}`;

const MONTAGE_YAML = `
pipeline:
  name: montage
description: A pipeline that combines images from the images and edges repositories into a montage.
input:
  cross:
  - pfs:
      glob: /
      repo: images
  - pfs:
      glob: /
      repo: edges
transform:
  cmd:
  - sh
  image: dpokidov/imagemagick:7.1.0-23
  stdin:
  - montage -shadow -background SkyBlue -geometry 300x300+2+2 $(find -L /pfs/images /pfs/edges -type f | sort) /pfs/out/montage.png
`;

describe('pipeline spec parsing', () => {
  it("parses Pachyderm's example specs unchanged, JSON and YAML", () => {
    const edges = parsePipelineSpec(EDGES_JSON).spec;
    assert.equal(edges.pipeline.name, 'edges');
    assert.deepEqual(edges.transform.cmd, ['python3', '/edges.py']);
    const montage = parsePipelineSpec(MONTAGE_YAML).spec;
    assert.equal(montage.pipeline.name, 'montage');
    assert.ok('cross' in montage.input && montage.input.cross.length === 2);
    assert.match(montage.transform.stdin[0]!, /^montage -shadow/);
  });

  it('reads the same spec from JSON and YAML into the same canonical form and hash', () => {
    const fromJson = parsePipelineSpec(EDGES_JSON).spec;
    const fromYaml = parsePipelineSpec(`
pipeline: {name: edges}
description: A pipeline that performs image edge detection by using the OpenCV library.
transform:
  image: "pachyderm/opencv:1.0"
  cmd: [python3, /edges.py]
input:
  pfs: {glob: "/*", repo: images, branch: master}
`).spec;
    assert.equal(canonicalSpecJson(fromYaml), canonicalSpecJson(fromJson));
    assert.equal(specHash(fromYaml), specHash(fromJson));
  });

  it('reads several specs from concatenated JSON objects or YAML documents', () => {
    const json = parsePipelineSpecs(`${EDGES_JSON}\n${EDGES_JSON.replace('"edges"', '"edges2"')}`);
    assert.deepEqual(
      json.map((v) => v.spec.pipeline.name),
      ['edges', 'edges2'],
    );
    const yaml = parsePipelineSpecs(
      `${MONTAGE_YAML}\n---\n${MONTAGE_YAML.replace('name: montage', 'name: montage2')}\n---\n`,
    );
    assert.deepEqual(
      yaml.map((v) => v.spec.pipeline.name),
      ['montage', 'montage2'],
    );
    assert.throws(
      () => parsePipelineSpec(`${EDGES_JSON}${EDGES_JSON}`),
      /expected one pipeline spec, found 2/,
    );
  });

  it('reports JSON syntax errors with the line and column', () => {
    const text = '{\n  "pipeline": {"name": "x"},\n  "transform": {"cmd": ["sh"],}\n}';
    assert.throws(
      () => parsePipelineSpec(text),
      (e: unknown) =>
        isErrorCode(e, 'invalid_argument') &&
        /invalid JSON in pipeline spec document 1 at line 3, column \d+/.test((e as Error).message),
    );
    assert.throws(() => parsePipelineSpec('{"pipeline": {'), /unexpected end of the text/);
    assert.throws(() => parsePipelineSpec('{"a": 1} x'), /unexpected "x" between documents/);
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    assert.throws(
      () => parsePipelineSpec('pipeline:\n  name: a\n  name: b\n'),
      (e: unknown) =>
        isErrorCode(e, 'invalid_argument') &&
        /invalid YAML in pipeline spec document 1: .*[Mm]ap keys must be unique/.test((e as Error).message),
    );
    assert.throws(() => parsePipelineSpec('pipeline: [unclosed\n'), /invalid YAML/);
  });

  it('refuses an empty text', () => {
    assert.throws(() => parsePipelineSpec('  \n'), /the pipeline spec is empty/);
    assert.deepEqual(parseSpecDocuments('---\n---\n'), []);
  });

  it('names the document of each problem when a file holds several specs', () => {
    const bad = `${EDGES_JSON}\n${EDGES_JSON.replace('"/*"', '"/["')}`;
    assert.throws(
      () => parsePipelineSpecs(bad),
      (e: unknown) => {
        const list = specIssues(e);
        return (
          list?.length === 1 &&
          list[0]!.path === 'input.pfs.glob' &&
          list[0]!.message.startsWith('(document 2) ')
        );
      },
    );
  });

  it('keeps YAML 1.2 scalars as strings (no "yes" booleans) so types are checked strictly', () => {
    assert.throws(
      () =>
        parsePipelineSpec(
          'pipeline: {name: a}\ntransform: {cmd: [sh]}\ninput: {pfs: {repo: a, glob: "/", lazy: yes}}\n',
        ),
      (e: unknown) => specIssues(e)?.[0]?.path === 'input.pfs.lazy',
    );
  });
});

/**
 * What a mount shows: `-r repo`, `-r repo@branch`, `-r repo@commitID`, `-r repo@branch+w`.
 * Parsing only; whether a branch may really be written is decided against the server at mount
 * time (pipeline output repos and branches with provenance are read-only).
 */
import { errorFactory } from '../../services/platform/errors.ts';
import { DEFAULT_BRANCH, isCommitId, isValidName } from '../ts/refs.ts';

const mountErrors = errorFactory('mount');

export interface RepoSpec {
  /** The directory name under the mount point (the repo name). */
  name: string;
  repo: string;
  /** Set for a branch mount. */
  branch?: string;
  /** Set for a commit mount (always read-only). */
  commitId?: string;
  /** `+w` was asked for. */
  writeRequested: boolean;
}

/** Throws `invalid_argument` naming the spec for a malformed one. */
export function parseRepoSpec(spec: string): RepoSpec {
  let text = spec.trim();
  let writeRequested = false;
  if (text.endsWith('+w')) {
    writeRequested = true;
    text = text.slice(0, -2);
  } else if (text.endsWith('+r')) {
    text = text.slice(0, -2);
  }
  const at = text.indexOf('@');
  const repo = at < 0 ? text : text.slice(0, at);
  const ref = at < 0 ? DEFAULT_BRANCH : text.slice(at + 1);
  if (!isValidName(repo)) {
    throw mountErrors.invalidArgument(`invalid repo in mount spec "${spec}": use REPO[@BRANCH|@COMMIT][+w]`);
  }
  if (isCommitId(ref)) {
    if (writeRequested) {
      throw mountErrors.invalidArgument(
        `mount spec "${spec}": commits are read-only; mount a branch with +w`,
      );
    }
    return { name: repo, repo, commitId: ref, writeRequested: false };
  }
  if (!isValidName(ref)) {
    throw mountErrors.invalidArgument(`invalid branch or commit in mount spec "${spec}"`);
  }
  return { name: repo, repo, branch: ref, writeRequested };
}

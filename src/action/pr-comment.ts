/**
 * The adapter that posts the sticky pull-request comment through the workflow's token (@actions/github). It finds the
 * comment boot-budget left before by its hidden marker and updates it, else creates one. A token that may not write
 * to pull requests (a fork's, or `permissions:` without `pull-requests: write`) gets a warning from the caller, never
 * a failed step: the comment is a convenience, the verdict is the step's.
 */
import * as github from '@actions/github';
import { COMMENT_MARKER } from '../report/github/comment.js';

export interface CommentTarget {
  owner: string;
  repo: string;
  pullNumber: number;
}

export type CommentOutcome =
  | { kind: 'created' | 'updated'; url: string }
  | { kind: 'skipped'; reason: string }
  | { kind: 'refused'; reason: string };

/** The pull request this run is for, from the event payload; undefined on a push or a schedule. */
export function pullRequestTarget(): CommentTarget | undefined {
  const number = github.context.payload.pull_request?.number;
  if (typeof number !== 'number' || !process.env.GITHUB_REPOSITORY) return undefined;
  const { owner, repo } = github.context.repo;
  return { owner, repo, pullNumber: number };
}

/**
 * Updates boot-budget's comment on the pull request, or creates it when `create` (a later run of `on-change` with
 * nothing to say still updates an earlier comment, so that it does not keep showing a failure that is gone).
 */
export async function upsertComment(
  token: string,
  target: CommentTarget,
  body: string,
  create: boolean,
): Promise<CommentOutcome> {
  // getOctokit reads GITHUB_API_URL, so GitHub Enterprise Server (and the tests' local fake) work unchanged.
  const octokit = github.getOctokit(token);
  const where = { owner: target.owner, repo: target.repo, issue_number: target.pullNumber };
  try {
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...where, per_page: 100 });
    const ours = comments.find((c) => c.body?.includes(COMMENT_MARKER));
    if (ours) {
      const { data } = await octokit.rest.issues.updateComment({
        owner: target.owner,
        repo: target.repo,
        comment_id: ours.id,
        body,
      });
      return { kind: 'updated', url: data.html_url };
    }
    if (!create) return { kind: 'skipped', reason: 'nothing changed and there is no earlier comment to update' };
    const { data } = await octokit.rest.issues.createComment({ ...where, body });
    return { kind: 'created', url: data.html_url };
  } catch (error) {
    const status = (error as { status?: number }).status;
    if (status === 403 || status === 404 || status === 401)
      return {
        kind: 'refused',
        reason: `the token may not comment on pull request #${target.pullNumber} (HTTP ${status}); give the job \`permissions: pull-requests: write\` (a fork's pull request never has it)`,
      };
    throw error;
  }
}

# The checkout stand-in: the same result as actions/checkout, from a local repository.
set -euo pipefail
git init -q .
git remote add origin "${HARNESS_REPO}"
depth=()
if [ "${DEPTH}" != "0" ]; then depth=(--depth "${DEPTH}"); fi
git fetch -q "${depth[@]}" origin "+refs/heads/*:refs/remotes/origin/*"
# Like the real action, the run's own commit is fetched by id (a branch may have moved on).
git fetch -q "${depth[@]}" origin "${GITHUB_SHA}"
git -c advice.detachedHead=false checkout -q --detach "${GITHUB_SHA}"
if [ "${PERSIST}" = "true" ]; then
  # What the real action leaves behind: the job token in the repository's git config.
  header=$(printf 'x-access-token:%s' "${TOKEN}" | base64 -w0)
  git config --local http.https://github.com/.extraheader "AUTHORIZATION: basic ${header}"
fi

# The commands a learner runs in week 22 beyond writing files (README.md), run by
# `course verify` in the week folder with the workspace .venv first on PATH and $WORKSPACE set.
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Course Learner}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-learner@example.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"
export DVC_NO_ANALYTICS=1
export DVC_SITE_CACHE_DIR="${DVC_SITE_CACHE_DIR:-$WORKSPACE/../dvc-site-cache}"
command -v dvc >/dev/null || dvc() { python -m dvc "$@"; }

# 1. The week folder is a DVC project inside the workspace's repository; the data is tracked.
dvc init --subdir -q
dvc add -q data/raw
# 2. The first model, and the first champion (no champion yet: the relative gate passes).
dvc repro -q
python validate.py > /dev/null
# 3. The workflow where GitHub runs it: .github/workflows/ at the repository root.
mkdir -p "$WORKSPACE/.github/workflows"
mv continuous-training.yml "$WORKSPACE/.github/workflows/continuous-training.yml"
git -C "$WORKSPACE" add -A
git -C "$WORKSPACE" commit -q -m "Week 22: continuous training"

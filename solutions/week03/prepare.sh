# The commands a learner runs in week 3 beyond writing files (README.md, steps 1-6), run by
# `course verify` in the week folder with the workspace .venv first on PATH and $WORKSPACE set.
# The workspace root is the git repository; the week folder becomes a DVC project inside it.

# Commit as someone even where git has no identity configured (a fresh CI machine).
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Course Learner}"
export GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-learner@example.com}"
export GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}"
export GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}"
export DVC_NO_ANALYTICS=1
# DVC's site cache (hash state, index) beside the workspace instead of /var/tmp/dvc.
export DVC_SITE_CACHE_DIR="${DVC_SITE_CACHE_DIR:-$WORKSPACE/../dvc-site-cache}"
# `course verify` layers the workspace venv on the course's, which has no `dvc` script of its own.
command -v dvc >/dev/null || dvc() { python -m dvc "$@"; }

# 1. DVC inside the workspace's git repository.
dvc init --subdir -q
git add "$WORKSPACE/.gitignore" .dvc .dvcignore
git commit -q -m "Initialise DVC in week 3"

# 2. Version 1 of the data: the first delivery.
dvc add -q data/raw
git add data/raw.dvc data/.gitignore .gitignore
git commit -q -m "Data v1: first 1500 training sales"

# 3. A remote outside the workspace (a sibling folder), by absolute path: DVC resolves a
# relative one against .dvc/, and `dvc push --all-commits` even against the repository root.
dvc remote add -d localstore "$(cd "$WORKSPACE/.." && pwd)/dvc-remote"
git add .dvc/config
git commit -q -m "Configure the DVC remote"
dvc push -q

# 4. Version 2: the second delivery appended.
tail -n +2 data/incoming/train-2.csv >> data/raw/train.csv
dvc add -q data/raw
git add data/raw.dvc
git commit -q -m "Data v2: full training set"
dvc push -q

# 5. The pipeline (dvc.yaml is the solution's file), reproduced, committed and pushed.
dvc repro -q
git add dvc.yaml dvc.lock params.yaml metrics.json src data/.gitignore .gitignore \
  requirements.txt DATA.md README.md
git commit -q -m "Pipeline: prepare and train"
dvc push -q

# What a learner does beyond writing files: the workflow moves to the repository root (the
# workspace), where GitHub runs it.
mkdir -p "$WORKSPACE/.github/workflows"
mv housing-api.yml "$WORKSPACE/.github/workflows/housing-api.yml"

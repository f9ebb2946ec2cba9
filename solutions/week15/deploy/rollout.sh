#!/usr/bin/env bash
# Roll the housing API out to the week 13/14 instance: pull the given image there and restart
# the container, through AWS Systems Manager (no SSH key, no open port). Needs AWS credentials
# for a role allowed ssm:SendCommand (the deploy job gets them with OIDC).
#   ./deploy/rollout.sh ghcr.io/OWNER/housing-api:<commit sha>
set -euo pipefail
image=${1:?usage: rollout.sh IMAGE:TAG}
commands=$(printf '["docker pull %s","docker rm -f housing-api || true","docker run -d --name housing-api --restart unless-stopped -p 8000:8000 %s"]' "$image" "$image")
command_id=$(aws ssm send-command \
  --document-name AWS-RunShellScript \
  --targets "Key=tag:project,Values=mlops-roadmap" \
  --parameters "commands=$commands" \
  --query Command.CommandId --output text)
echo "rollout of $image: SSM command $command_id"

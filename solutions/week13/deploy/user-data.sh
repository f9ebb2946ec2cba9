#!/bin/bash
# AWS for MLOps (week13): EC2 user data, run once as root at first boot.
# scripts/aws_deploy.py puts the bucket and the model version in for __BUCKET__ and
# __MODEL_VERSION__. Amazon Linux 2023 ships the AWS CLI; the instance profile provides
# credentials, so no access key ever appears here. Debug on the instance:
#   sudo cat /var/log/cloud-init-output.log
set -euxo pipefail

BUCKET="__BUCKET__"
MODEL_VERSION="__MODEL_VERSION__"

dnf install -y docker
systemctl enable --now docker

mkdir -p /opt/ames/models && cd /opt/ames
aws s3 cp "s3://${BUCKET}/releases/app.tar.gz" app.tar.gz
tar xzf app.tar.gz
aws s3 cp "s3://${BUCKET}/models/ames-price/${MODEL_VERSION}/linear.joblib" models/linear.joblib

docker build -t ames-api .
docker run -d --name ames-api --restart unless-stopped -p 8000:8000 \
  -e MODEL_VERSION="${MODEL_VERSION}" ames-api

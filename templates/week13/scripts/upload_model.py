"""Upload a model version and the app release to S3 (encrypted, never public).

Usage: python scripts/upload_model.py BUCKET VERSION
Credentials come from your AWS CLI profile (aws configure / aws sso login), never from code.
"""
import sys
import tarfile
from pathlib import Path

import boto3

APP_FILES = ["app", "Dockerfile", "requirements.txt"]  # what the instance needs to build


def main(bucket: str, version: str) -> None:
    s3 = boto3.client("s3")
    extra = {"ServerSideEncryption": "AES256"}
    model_key = f"models/ames-price/{version}/linear.joblib"
    s3.upload_file("models/linear.joblib", bucket, model_key, ExtraArgs=extra)
    with tarfile.open("app.tar.gz", "w:gz") as tar:
        for name in APP_FILES:
            tar.add(name)
    # TODO: upload app.tar.gz to releases/app.tar.gz with the same ExtraArgs
    # TODO: print the s3:// URIs and the S3 version ids (s3.head_object(...)["VersionId"])
    print(f"uploaded s3://{bucket}/{model_key}; app.tar.gz built from {APP_FILES}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or not Path("models/linear.joblib").is_file():
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])

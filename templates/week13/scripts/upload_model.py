"""Upload a model version and the app release to S3 (encrypted, never public).

Usage: python scripts/upload_model.py BUCKET VERSION   (from the week folder)
Credentials come from your AWS CLI profile (aws configure / aws sso login), never from code.
"""

import sys
import tarfile
import tempfile
from pathlib import Path

import boto3

APP_FILES = ["app", "Dockerfile", "requirements.txt"]  # what the instance needs to build
MODEL = Path("models/linear.joblib")


def main(bucket: str, version: str) -> None:
    s3 = boto3.client("s3")
    extra = {"ServerSideEncryption": "AES256"}
    model_key = f"models/ames-price/{version}/linear.joblib"
    s3.upload_file(str(MODEL), bucket, model_key, ExtraArgs=extra)
    with tempfile.TemporaryDirectory() as tmp:
        release = Path(tmp) / "app.tar.gz"
        with tarfile.open(release, "w:gz") as tar:
            for name in APP_FILES:
                tar.add(name)
        # TODO: upload the release to releases/app.tar.gz with the same ExtraArgs
    # TODO: print each s3:// URI with its S3 version id (s3.head_object(...)["VersionId"])
    print(f"uploaded s3://{bucket}/{model_key}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or not MODEL.is_file():
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])

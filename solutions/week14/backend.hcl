# terraform init -backend-config=backend.hcl: the state bucket, made once by hand (see the lesson)
bucket = "ames-tfstate-123456789012-eu-west-1"
region = "eu-west-1"

# Infrastructure as Code with Terraform (week14): the week 13 infrastructure as code.
# terraform init -backend-config=backend.hcl && terraform fmt -check && terraform validate

terraform {
  required_version = ">= 1.10" # use_lockfile in the S3 backend
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.92"
    }
  }

  # bucket and region come from backend.hcl (terraform init -backend-config=backend.hcl)
  backend "s3" {
    key          = "week14/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = { project = "mlops-roadmap", managed_by = "terraform" }
  }
}

data "aws_caller_identity" "current" {}

# -- the model bucket -------------------------------------------------------------------------

resource "aws_s3_bucket" "models" {
  bucket        = "${var.bucket_prefix}-${data.aws_caller_identity.current.account_id}-${var.region}"
  force_destroy = true # a practice bucket: `terraform destroy` empties it
}

resource "aws_s3_bucket_versioning" "models" {
  bucket = aws_s3_bucket.models.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "models" {
  bucket = aws_s3_bucket.models.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "models" {
  bucket                  = aws_s3_bucket.models.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# -- the instance's role: read the models and releases, nothing else ---------------------------

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "api" {
  name               = "ames-api-ec2"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_role_policy" "read_models" {
  name = "read-models"
  role = aws_iam_role.api.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadModelsAndReleasesOnly"
      Effect   = "Allow"
      Action   = ["s3:GetObject"]
      Resource = ["${aws_s3_bucket.models.arn}/models/*", "${aws_s3_bucket.models.arn}/releases/*"]
    }]
  })
}

resource "aws_iam_instance_profile" "api" {
  name = "ames-api-ec2"
  role = aws_iam_role.api.name
}

# -- the firewall: the API and SSH, from your address only -------------------------------------

resource "aws_security_group" "api" {
  name        = "ames-api"
  description = "The Ames API and SSH, from one address"

  ingress {
    description = "the API"
    from_port   = var.api_port
    to_port     = var.api_port
    protocol    = "tcp"
    cidr_blocks = [var.allowed_cidr]
  }

  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.allowed_cidr]
  }

  egress {
    description = "packages, S3 and the image build"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# -- the instance -----------------------------------------------------------------------------

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

resource "aws_instance" "api" {
  ami                    = data.aws_ssm_parameter.al2023.value
  instance_type          = var.instance_type
  iam_instance_profile   = aws_iam_instance_profile.api.name
  vpc_security_group_ids = [aws_security_group.api.id]
  user_data = templatefile("${path.module}/user-data.sh.tftpl", {
    bucket        = aws_s3_bucket.models.bucket
    model_version = var.model_version
    api_port      = var.api_port
  })
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required" # IMDSv2 only
  }

  tags = { Name = "ames-api" }
}

output "bucket_name" {
  description = "Where models and releases are uploaded"
  value       = aws_s3_bucket.models.bucket
}

# TODO: output "public_dns" and output "api_url" = "http://${aws_instance.api.public_dns}:8000"
# TODO: output the instance id, useful for `aws ec2 get-console-output`

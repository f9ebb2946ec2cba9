output "bucket_name" {
  description = "Where models and releases are uploaded"
  value       = aws_s3_bucket.models.bucket
}

output "instance_id" {
  description = "For `aws ec2 get-console-output --instance-id ...`"
  value       = aws_instance.api.id
}

output "public_dns" {
  description = "The instance's public DNS name"
  value       = aws_instance.api.public_dns
}

output "api_url" {
  description = "Where the API answers, from your address"
  value       = "http://${aws_instance.api.public_dns}:${var.api_port}"
}

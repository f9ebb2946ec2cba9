variable "region" {
  description = "AWS region for every resource"
  type        = string
  default     = "eu-west-1"
}

variable "bucket_prefix" {
  description = "Start of the bucket name; the account id and region are appended"
  type        = string
  default     = "ames-mlops"
}

variable "allowed_cidr" {
  description = "The one address allowed to call the API, e.g. your IP as 203.0.113.7/32"
  type        = string

  validation {
    # TODO: this accepts 0.0.0.0/0 (the whole internet): accept one address, a /32, only
    condition     = can(cidrhost(var.allowed_cidr, 0))
    error_message = "Use a real CIDR for your own address."
  }
}

variable "instance_type" {
  description = "EC2 instance type for the API"
  type        = string
  default     = "t3.micro"
  # TODO: a validation block that accepts only small types (t3.micro, t3.small)
}

variable "model_version" {
  description = "Folder under models/ames-price/ that the instance downloads"
  type        = string
  default     = "1"
}

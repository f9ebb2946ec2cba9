variable "region" {
  description = "AWS region for every resource"
  type        = string
  default     = "eu-west-1"
}

variable "bucket_prefix" {
  description = "Start of the bucket name; the account id and region are appended"
  type        = string
  default     = "ames-mlops"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,30}$", var.bucket_prefix))
    error_message = "The bucket prefix is 3 to 31 lower-case letters, digits or hyphens."
  }
}

variable "allowed_cidr" {
  description = "The one address allowed to call the API and to SSH in, e.g. 203.0.113.7/32"
  type        = string

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && endswith(var.allowed_cidr, "/32")
    error_message = "Give your own address as a /32 (e.g. 203.0.113.7/32), never 0.0.0.0/0."
  }
}

variable "instance_type" {
  description = "EC2 instance type for the API: a small, cheap one"
  type        = string
  default     = "t3.micro"

  validation {
    condition     = contains(["t3.micro", "t3.small", "t3a.micro", "t3a.small"], var.instance_type)
    error_message = "Use a small instance type: t3.micro, t3.small, t3a.micro or t3a.small."
  }
}

variable "api_port" {
  description = "The port the API listens on"
  type        = number
  default     = 8000

  validation {
    condition     = var.api_port == 8000
    error_message = "The API of week 10 listens on 8000."
  }
}

variable "model_version" {
  description = "Folder under models/ames-price/ that the instance downloads"
  type        = string
  default     = "1"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.model_version))
    error_message = "The model version is a folder name: letters, digits, dots, hyphens."
  }
}

output "state_bucket" {
  description = "The state bucket: the repository variable TF_STATE_BUCKET."
  value       = aws_s3_bucket.state.id
}

output "deploy_role_arns" {
  description = "The deploy role of each GitHub environment: that environment's variable AWS_DEPLOY_ROLE_ARN."
  value       = { for environment, role in aws_iam_role.deploy : environment => role.arn }
}

output "region" {
  description = "The region: the repository variable AWS_REGION."
  value       = var.region
}

output "permissions_boundary_arns" {
  description = "The permissions boundary of each GitHub environment's stage roles: that environment's variable PERMISSIONS_BOUNDARY_ARN (scripts/deploy passes it to the stage)."
  value       = { for environment, policy in aws_iam_policy.stage_boundary : environment => policy.arn }
}

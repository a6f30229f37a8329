# State lives in the S3 bucket infra/bootstrap creates, never on a laptop: it holds resource ids
# and, with the REST option, the API key. A partial configuration: scripts/deploy passes the
# bucket, the key of the stage's state and the region (-backend-config), and turns on S3's own
# lock file. `terraform init -backend=false` (the offline checks) needs none of it.
terraform {
  backend "s3" {}
}

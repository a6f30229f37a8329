# Every pull request's preview stage (scripts/deploy pr-<number>): test users signed in from the
# command line, and nothing kept when the pull request closes.
cognito_allow_user_password_auth = true
table_deletion_protection        = false
user_pool_deletion_protection    = false

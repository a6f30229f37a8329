# The staging stage (scripts/deploy staging): the pipeline signs its test users in from the
# command line (scripts/stage-tokens).
cognito_allow_user_password_auth = true

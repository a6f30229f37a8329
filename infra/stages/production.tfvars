# The production stage (scripts/deploy production). List your web apps' origins here before a
# browser calls the API; [] answers no CORS preflight.
production         = true
cors_allow_origins = []
alarms_enabled     = true
log_retention_days = 90
# Where the alarms go: the plan refuses a production stage whose alarms notify no one, so a
# production deploy fails until one of these is set (the offline checks stand in a topic).
# alarm_topic_arn = "arn:aws:sns:<region>:<account>:<the topic your on-call tooling subscribes to>"
# alarm_email     = "<an address that will confirm the subscription>"

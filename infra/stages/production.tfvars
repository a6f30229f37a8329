# The production stage (scripts/deploy production). List your web apps' origins here before a
# browser calls the API; [] answers no CORS preflight.
production         = true
cors_allow_origins = []
alarms_enabled     = true
log_retention_days = 90

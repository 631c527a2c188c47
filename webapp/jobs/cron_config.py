"""`rq cron` configuration: `rq cron --url $REDIS_URL webapp.jobs.cron_config`."""

from rq import cron

from webapp.jobs import scheduled

# Hand on jobs that were written while Redis was down.
cron.register(scheduled.sweep_pending_jobs, "scheduled", interval=60, name="sweep-pending-jobs")

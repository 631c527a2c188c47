"""`rq cron` configuration: `rq cron --url $REDIS_URL webapp.jobs.cron_config` (the path the
deployments use; the functions are the worker entry points of `webapp.worker`)."""

from rq import cron

from webapp import worker as scheduled

# Hand on jobs that were written while Redis was down.
cron.register(scheduled.sweep_pending_jobs, "scheduled", interval=60, name="sweep-pending-jobs")
# Expire certificates, open renewal enrolments, remind holders: every day at 02:00 UTC.
cron.register(scheduled.daily_expiry, "scheduled", cron="0 2 * * *", name="daily-expiry")
# Reminders before expiry go out within the hour they become due.
cron.register(scheduled.hourly_reminders, "scheduled", cron="15 * * * *", name="hourly-reminders")
# Quiz attempts past their deadline are graded on what was saved in time, within a minute.
cron.register(
    scheduled.finalize_overdue_attempts,
    "scheduled",
    interval=60,
    name="finalize-overdue-attempts",
)

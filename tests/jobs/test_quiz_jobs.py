"""Quiz jobs in the schedule: overdue attempts are graded every minute by `rq cron`."""

from redis import Redis
from rq.cron import CronScheduler

from webapp import worker
from webapp.outbox import REGISTRY


def test_rq_cron_grades_overdue_attempts_every_minute():
    # No Redis is needed to read the configuration (the client connects lazily).
    scheduler = CronScheduler(connection=Redis.from_url("redis://127.0.0.1:1/0"))
    scheduler.load_config_from_file("webapp.jobs.cron_config")
    jobs = {job.name: job for job in scheduler._cron_jobs}
    job = jobs["finalize-overdue-attempts"]
    assert job.func is worker.finalize_overdue_attempts and job.interval == 60
    assert {"regrade_batch", "finalize_overdue_attempts"} <= set(REGISTRY)


def test_the_scheduled_function_runs_the_job_in_an_app(app, clock):
    assert worker.finalize_overdue_attempts() == 0

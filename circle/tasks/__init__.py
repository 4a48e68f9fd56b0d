"""Background work on a task queue (Huey): the mail outbox's delivery now, and the jobs
that ran from cron (reminders, purges) as they move onto the queue's scheduler."""

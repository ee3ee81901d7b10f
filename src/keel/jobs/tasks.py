"""The queued work, as django-tasks tasks (the database backend of django-tasks-db stores them)."""

from __future__ import annotations

from django_tasks import task

from keel.jobs import services


@task()
def run_job(run_id: int) -> str:
    """One attempt of a scheduled job run (keel.jobs.services.execute)."""
    return services.execute(run_id)

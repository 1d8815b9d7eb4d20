"""The job log: every periodic job records its runs in ``JobExecution``.

``job_run(name)`` is a context manager around one run: it writes the row
``running`` when the run starts (a run that hangs or whose worker dies stays
visible as running), and on the way out its end, wall-clock duration and
the counts the run set, or the error it raised, which it raises again
unchanged. ``periodic_task(name)`` makes a function the Celery task ``name`` run in it: the
task's arguments are recorded and its return value becomes the counts. A
job that works tenant by tenant also wraps each tenant's part in
``job_run(name, tenant=...)``, so that tenant's staff see their own runs.

The error is the exception's type and message, never a traceback or the
job's input; credentials that a message may carry (``user:password@`` in a
URL, ``password=...``) are masked, and the text is cut at
``ERROR_LENGTH`` characters.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from ispstack.core import clock
from ispstack.core.audit import SECRET_FIELDS
from ispstack.core.models import JobExecution, Tenant

logger = logging.getLogger(__name__)

ERROR_LENGTH = 1000
F = TypeVar("F", bound=Callable[..., Any])

_URL_CREDENTIALS = re.compile(r"(://)[^/\s:@]+:[^/\s@]+@")
_KEY_VALUE_SECRET = re.compile(r"\b(password|passwd|secret|token|api_key)=\S+", re.IGNORECASE)


@dataclass
class JobRun:
    """The run being recorded; set ``counts`` (name -> number) before it ends."""

    execution: JobExecution
    counts: dict[str, Any] = field(default_factory=dict)


def error_text(exc: BaseException) -> str:
    """``"Type: message"`` of ``exc`` with credentials masked, at most
    ``ERROR_LENGTH`` characters."""
    message = _URL_CREDENTIALS.sub(r"\1***@", str(exc))
    message = _KEY_VALUE_SECRET.sub(r"\1=***", message)
    return f"{type(exc).__name__}: {message}"[:ERROR_LENGTH]


def counts_of(result: Any, prefix: str = "") -> dict[str, int | float]:
    """A task's return value as counts: a number is ``{"count": n}``; a dict
    keeps its numbers, nested dicts flattened as ``outer.inner``; text and
    other values are left out (an error text belongs in ``error``)."""
    if isinstance(result, bool):
        return {prefix or "count": int(result)}
    if isinstance(result, int | float):
        return {prefix or "count": result}
    counts: dict[str, int | float] = {}
    if isinstance(result, dict):
        for key, value in result.items():
            counts.update(counts_of(value, f"{prefix}.{key}" if prefix else str(key)))
    return counts


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _arguments(arguments: dict[str, Any] | None) -> dict[str, Any]:
    return {
        name: "***" if name in SECRET_FIELDS else _plain(value)
        for name, value in (arguments or {}).items()
    }


@contextmanager
def job_run(
    name: str, *, tenant: Tenant | None = None, arguments: dict[str, Any] | None = None
) -> Iterator[JobRun]:
    """Record one run of job ``name`` (see the module docstring); ``tenant``
    None for a platform-wide run. Any exception is recorded and raised again."""
    execution = JobExecution.objects.create(
        tenant=tenant, job=name, started_at=clock.now(), arguments=_arguments(arguments)
    )
    run = JobRun(execution)
    started = time.monotonic()
    try:
        yield run
    except BaseException as exc:
        _finish(run, started, JobExecution.Status.FAILED, error_text(exc))
        raise
    _finish(run, started, JobExecution.Status.DONE, "")


def _finish(run: JobRun, started: float, status: str, error: str) -> None:
    execution = run.execution
    execution.status = status
    execution.error = error
    execution.counts = counts_of(run.counts)
    execution.finished_at = clock.now()
    execution.duration_ms = int((time.monotonic() - started) * 1000)
    try:
        execution.save(update_fields=["status", "error", "counts", "finished_at", "duration_ms"])
    except DatabaseError:
        # The job's own failure may have broken the connection's transaction;
        # the row stays "running" and the job's exception is the one raised.
        logger.exception("could not record the end of job %s", execution.job)


def periodic_task(name: str) -> Callable[[F], Any]:
    """Decorator making ``func`` the Celery task ``name`` whose every call is a
    ``job_run(name)`` with the call's arguments; the return value becomes
    its counts (``counts_of``)."""

    def decorate(func: F) -> Any:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def logged(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            with job_run(name, arguments=dict(bound.arguments)) as run:
                result = func(*args, **kwargs)
                run.counts = result
            return result

        return shared_task(name=name)(logged)

    return decorate


def prune(now: dt.datetime | None = None) -> int:
    """Delete job log rows that started more than ``JOB_LOG_RETENTION_DAYS``
    ago; returns how many."""
    cutoff = (now or clock.now()) - dt.timedelta(days=settings.JOB_LOG_RETENTION_DAYS)
    deleted, _ = JobExecution.objects.filter(started_at__lt=cutoff).delete()
    return deleted

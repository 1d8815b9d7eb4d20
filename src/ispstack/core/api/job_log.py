"""API of the job log: ``GET /api/v1/job-executions/``, read-only.

A tenant's staff read their tenant's runs; the platform operator reads
every run, the platform-wide ones too (``core.job_log``). Filters: ``job``
(the task's name), ``status``, and ``started_from`` / ``started_to`` (dates,
UTC, both inclusive).
"""

from __future__ import annotations

import django_filters
from rest_framework import mixins, serializers

from ispstack.core.api.base import TenantViewSet
from ispstack.core.api.routers import Route
from ispstack.core.models import JobExecution


class JobExecutionSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobExecution
        fields = [
            "id",
            "tenant",
            "job",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "arguments",
            "counts",
            "error",
        ]


class JobExecutionFilter(django_filters.FilterSet):
    job = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=JobExecution.Status.choices)
    started_from = django_filters.DateFilter(field_name="started_at__date", lookup_expr="gte")
    started_to = django_filters.DateFilter(field_name="started_at__date", lookup_expr="lte")

    class Meta:
        model = JobExecution
        fields: list[str] = []


class JobExecutionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Runs of the periodic jobs: start, end, duration (ms), arguments, counts, error."""

    queryset = JobExecution.objects.all()
    serializer_class = JobExecutionSerializer
    filterset_class = JobExecutionFilter
    required_perms = {
        "list": ("core.view_jobexecution",),
        "retrieve": ("core.view_jobexecution",),
    }


routes: list[Route] = [("job-executions", JobExecutionViewSet, "jobexecution")]

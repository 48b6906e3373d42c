"""PostgreSQL's plan and time for the page query of incident list filters, as the API builds it.

    DJANGO_SETTINGS_MODULE=argus.site.settings.prod SECRET_KEY=x DATABASE_URL=postgres://... \\
    python bench/explain.py "open=true&acked=false&tags=problem_type=problem3" "mine:open=true" [--plan]

Each argument is a query string of ``/api/v2/incidents/`` (``mine:`` in front: of ``mine/`` for
source ``bench0``). For each it builds the page query with the API's own filters
(``filter_incidents_paged``, a tag key with several values read one value at a time as the
paginator does, newest first with ties by id, a page of 100 plus one), runs it five times and prints the
best and median time and PostgreSQL's execution time; ``--plan`` prints the whole
``EXPLAIN (ANALYZE, BUFFERS)`` plan. Run ``VACUUM ANALYZE`` after loading data, as autovacuum would.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "argus.site.settings.dev")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import QueryDict  # noqa: E402

from argus.incident.api.filters import filter_incidents_paged  # noqa: E402
from argus.incident.api.pagination import ArgusCursorPagination  # noqa: E402
from argus.incident.models import Incident  # noqa: E402
from argus.incident.queries import first_of_each, incidents_for_representation  # noqa: E402

ORDERING = ArgusCursorPagination.ordering
PAGE = ArgusCursorPagination.page_size + 1


def main(argv: list[str]) -> int:
    show_plan = "--plan" in argv
    queries = [arg for arg in argv if arg != "--plan"]
    user = get_user_model().objects.get(username="bench0")
    for query in queries:
        mine = query.startswith("mine:")
        base = Incident.objects.filter(source__user_id=user.pk) if mine else Incident.objects.all()
        filtered = filter_incidents_paged(base, QueryDict(query.removeprefix("mine:")), user=user)
        queryset = filtered.queryset
        if filtered.branches:
            queryset = first_of_each(queryset, filtered.branches, ORDERING, PAGE)
        sql, params = (
            incidents_for_representation(queryset).order_by(*ORDERING)[:PAGE].query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
            times = []
            for _ in range(5):
                started = time.perf_counter()
                cursor.execute(sql, params)
                cursor.fetchall()
                times.append((time.perf_counter() - started) * 1000)
        print(
            f"{query}: best {min(times):.1f} ms, median {statistics.median(times):.1f} ms; {plan[-1].strip()}"
        )
        if show_plan:
            print("\n".join(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

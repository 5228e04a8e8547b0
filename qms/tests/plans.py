"""What PostgreSQL's planner can do with a queryset: for tests that a search has the indexes it needs."""
from django.db import connection


def index_only_plan(queryset) -> str:
    """The plan of ``queryset`` (its primary keys, unordered) when the planner may use nothing but bitmap scans
    of indexes: a test table is tiny and would be read whole anyway, so this is how a test sees that every
    condition of a search can be answered from an index (a condition that cannot leaves a "Seq Scan")."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = on")
    return plan

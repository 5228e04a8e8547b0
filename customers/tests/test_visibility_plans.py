"""Who sees which customers is answered from indexes (issue 16): the visibility predicates are subqueries of ids,
not ORs over a join of owners and departments, so PostgreSQL can answer the list page from the owner index even
at 100,000 customers. Checked with EXPLAIN with sequential scans disabled: a predicate that needs a full scan
still shows one."""
import pytest
from django.db import connection, transaction

from customers.models import Customer, Visit
from customers.tests.factories import make_customer
from qms.people import visible_to

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("who", ["sales", "sales2"])  # the sales manager (his department and the pool), a salesman
def test_the_customer_list_of_a_salesperson_is_read_through_an_index(people, who):
    make_customer(people["sales"])
    page = visible_to(people[who], Customer.objects.filter(deleted_at__isnull=True)).order_by("-created_at")[:50]
    plan = _plan(page)
    assert "Seq Scan on customers_customer" not in plan, plan
    assert "Index" in plan, plan


def test_the_visits_of_a_salesperson_are_read_through_an_index(people):
    plan = _plan(visible_to(people["sales2"], Visit.objects.all()).order_by("-period_start")[:50])
    assert "Seq Scan on customers_visit" not in plan and "Seq Scan on customers_customer" not in plan, plan


def test_near_duplicates_of_an_import_chunk_are_found_through_the_name_key_b_tree(people):
    # The trigram index on name_key answers equality too, and the planner takes it though it then reads every key
    # sharing a trigram with one asked (1.1 s for 500 new keys at 10,000 customers): the query names the "C"
    # collation of the B-tree index customer_name_key, which the trigram index cannot serve.
    from customers.services.names import with_name_keys

    make_customer(people["sales"], name="杭州西湖精密仪器有限公司")
    keys = [f"新客户{i}" for i in range(5)]
    plan = _plan(with_name_keys(Customer.all_objects.all(), keys).order_by().values("name_key"))
    assert "Index Cond" in plan and "on customer_name_key " in plan, plan  # the keys looked up in the B-tree
    assert "customer_name_key_trgm" not in plan, plan

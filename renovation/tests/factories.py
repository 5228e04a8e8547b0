"""Building renovation records in tests through the real services (the demo's helpers)."""
from decimal import Decimal

from renovation.demo import PDF_BYTES, add_workers, advance, application_fields, documents_for, pay_all, submit  # noqa: F401,E501
from renovation.models import Building, Project, Unit

VALID_ID = "11010519491231002X"


def unit(number="101", *, building="1栋", project="阳光花园", large=False, usage="residential", **fields):
    project_obj, _ = Project.objects.get_or_create(name=project)
    building_obj, _ = Building.objects.get_or_create(project=project_obj, name=building)
    defaults = {"owner_name": "陈美玲", "owner_phone": "13800138001", "owner_id_number": VALID_ID,
                "is_large_commercial": large, "usage": usage, "area": Decimal("89.50"), **fields}
    return Unit.objects.create(building=building_obj, number=number, **defaults)

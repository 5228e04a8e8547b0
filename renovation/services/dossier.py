"""The archive of one renovation (§4 档案): everything recorded about the application, gathered for the one PDF
dossier — the form with its documents and review, the status history, the fees ledger and the balances, then the
site records, the acceptance and the refund. Each part is one query (or one grouped query), whatever its length."""
from __future__ import annotations

from qms.workflow import status_history
from renovation.models import Application
from renovation.services import completion, fees


def dossier_context(application: Application) -> dict:
    return {
        "documents": application.documents.select_related("attachment").filter(attachment__voided_at__isnull=True),
        "schedule": fees.fee_schedule(application),
        "balances": fees.balances(application),
        "transitions": status_history(application),
        "ledger": application.ledger.select_related("fee_item", "recorded_by", "reversal", "reverses",
                                                    "signature").order_by("recorded_at", "pk"),
        "workers": application.workers.select_related("pass_closed_by").order_by("registered_at", "pk"),
        "site_inspections": application.site_inspections.select_related("inspector").order_by("inspected_at", "pk"),
        "violations": application.violations.select_related("found_by", "closed_by", "close_signature").prefetch_related("actions__by"),
        "baseline_photos": application.baseline_photos.select_related("taken_by"),
        "acceptance_inspections": application.acceptance_inspections.select_related("recorded_by"),
        "claims": application.claims.select_related("recorded_by"),
        "settlement": completion.settlement_for(application),
    }

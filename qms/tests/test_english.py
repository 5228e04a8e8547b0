"""The English interface says what the Chinese one says: 审核 of a signature is a review, 审核 of a CAPA's
source an audit."""
from django.utils import translation

from qms.capa.models import CapaSource
from qms.signatures import Meaning


def test_a_reviewers_signature_is_a_review_and_a_capa_from_an_audit_is_an_audit():
    with translation.override("en"):
        assert str(Meaning.REVIEW.label) == "Review"
        assert str(CapaSource.AUDIT.label) == "Audit"
    with translation.override("zh-hans"):
        assert str(Meaning.REVIEW.label) == str(CapaSource.AUDIT.label) == "审核"

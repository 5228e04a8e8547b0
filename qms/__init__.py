from qms.celery import app as celery_app
from qms.refusals import Refused

__all__ = ["celery_app", "Refused"]
